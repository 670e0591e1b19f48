"""One thin router per feature (`handlers/routers.py` lists them in the order updates try them;
`handlers/menu.py` lists their commands). This package's own module imports nothing, so a
handler may import a sibling (`from handlers import shop_admin`) without an import circle."""
