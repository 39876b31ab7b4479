"""One package per vendor. Vendors never import each other; the app composes them."""
