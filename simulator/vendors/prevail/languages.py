"""Session languages: the interpreter languages Prevail's page lists and the language code it reports.

The page says the accepted interpreter values "include" the listed ones, so another value is taken as
given (the caller hears about it through a journal warning) rather than refused.
"""

from __future__ import annotations

# The page's list, in its order (Amazon Transcribe's language names).
LISTED_INTERPRETERS: frozenset[str] = frozenset((
    "Afrikaans", "Arabic, Gulf", "Arabic, Modern Standard", "Chinese, Mandarin (Mainland China)",
    "Chinese, Mandarin (Taiwan)", "Danish", "Dutch", "English, Australian", "English, British", "English, Indian",
    "English, Irish", "English, New Zealand", "English, Scottish", "English, South African", "English, US",
    "English, Welsh", "French", "French, Canadian", "Farsi", "German", "German, Swiss", "Hebrew", "Hindi, Indian",
    "Indonesian", "Italian", "Japanese", "Korean", "Malay", "Portuguese", "Portuguese, Brazilian", "Russian",
    "Spanish", "Spanish, US", "Tamil", "Telugu", "Thai", "Turkish", "Other",
))

_CODES = {"English": "en-US", "German": "de-DE", "Spanish": "es-ES", "French": "fr-FR", "Japanese": "ja-JP"}


def language_code(languages: list[str] | None) -> str:
    """The session's ``language`` as the pages show it (``en-US``): the first language asked for."""
    return _CODES.get((languages or ["English"])[0], "en-US")


def unlisted_interpreter(interpreter: str | None) -> str | None:
    """A warning when ``interpreter`` is not one of the page's listed values, else None."""
    if not interpreter or interpreter in LISTED_INTERPRETERS:
        return None
    return (f"session_details.interpreter {interpreter!r} is not one of the languages Prevail's page lists; "
            f"stored as given (the page says the accepted values include those listed)")
