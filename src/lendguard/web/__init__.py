"""Server-rendered pages (Jinja2 + HTMX, no build step). Each capability has a module here."""
