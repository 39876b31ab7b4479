"""Vendor API simulator: Prevail, Kore.ai SmartAssist, Vonage AI Studio Insights, Cloudflare RealtimeKit."""

__version__ = "0.1.0"
