"""The studio page: static HTML, CSS and JavaScript modules served by the studio process."""
