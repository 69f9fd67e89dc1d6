"""The screens of the main window's stack, one module per screen."""
