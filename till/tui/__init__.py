"""The till's screens: a keypad-first Textual app over the sale engine."""
