"""Fan groups full of members, made through the sandbox's control API (load tests, chaos)."""

from __future__ import annotations

from sandbox.client import Group, SandboxClient, User


async def fan_groups(
    client: SandboxClient, groups: int, members: int
) -> tuple[list[User], list[Group]]:
    """`groups` groups of `members` members each, one owner for all; member n is in group
    n // members. Returns the members and the groups once the bot has seen them all."""
    owner = await client.create_user("Owner")
    fans = [await client.create_user(f"Fan {n}") for n in range(groups * members)]
    made = [
        await client.create_group(
            f"Shop {g}", creator=owner, members=fans[g * members : (g + 1) * members]
        )
        for g in range(groups)
    ]
    await client.settle(timeout=120)
    return fans, made
