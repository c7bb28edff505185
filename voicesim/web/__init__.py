"""The trainer web app (``voicesim serve``): review, annotate and follow practice sessions.

FastAPI over the session store. Pages are rendered on the server with Jinja2 and plain SVG
charts, with no CDN anywhere, so the app works on a machine with no internet at all.
"""
