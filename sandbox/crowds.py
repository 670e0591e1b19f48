"""Many people at once, for tests of what a crowd does (raid mode): one control call makes
`count` new users join a group in one go, as a raid's scripts do, instead of a request each."""

from __future__ import annotations

from aiohttp import web

from sandbox.control import body, chat_of, world_of
from sandbox.joins import join

routes = web.RouteTableDef()


@routes.post("/control/chats/{chat_id}/crowd")
async def crowd_joins(request: web.Request) -> web.Response:
    """`{"count": 60, "first_name": "Raider"}`: that many new users join, each with the
    updates a join brings; their users as the API shows them."""
    world, chat, data = world_of(request), chat_of(request), await body(request)
    count = int(data.get("count", 1))
    if not 0 < count <= 1000:
        raise web.HTTPBadRequest(text="count must be 1 to 1000")
    name = str(data.get("first_name", "User"))
    users = [
        world.add_user(f"{name} {n}", language_code=data.get("language_code"))
        for n in range(1, count + 1)
    ]
    for user in users:
        join(world, chat, user)
    return web.json_response([user.to_api() for user in users])
