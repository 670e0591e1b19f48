"""Lucky draws that anyone can verify.

The bot commits to a secret seed when the draw opens (it posts `sha256(seed)`), and the winners
follow from that seed and the entrant list alone (`choose_winners`), so once the seed is
revealed anyone can recompute them. The procedure, which the README spells out:

1. Sort the entrants' user ids ascending.
2. For counter = 0, 1, 2, ...: `h = HMAC-SHA256(key=seed, msg=counter as 8 bytes big-endian)`,
   read as a 256-bit big-endian integer. With `m` entrants still in the pool, reject `h` when
   `h >= 2**256 - (2**256 % m)` (no modulo bias); else the winner is the pool's entry at
   `h % m`, which leaves the pool (the others keep their order).
3. Stop after the number of winners; a reroll goes on from the next counter.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection, Sequence

SPACE = 2**256


def commitment_of(seed: str) -> str:
    return hashlib.sha256(bytes.fromhex(seed)).hexdigest()


def choose_winners(
    seed: str, entrants: Sequence[int], count: int, counter: int = 0, exclude: Collection[int] = ()
) -> tuple[list[int], int]:
    """`count` winners (fewer if the pool runs out) and the counter to go on from."""
    key = bytes.fromhex(seed)
    excluded = set(exclude)
    pool = sorted(user for user in set(entrants) if user not in excluded)
    winners: list[int] = []
    while pool and len(winners) < count:
        digest = hmac.new(key, counter.to_bytes(8, "big"), hashlib.sha256).digest()
        counter += 1
        value, size = int.from_bytes(digest, "big"), len(pool)
        if value >= SPACE - SPACE % size:
            continue  # would favour the first entries: draw again
        winners.append(pool.pop(value % size))
    return winners, counter


def replay(
    seed: str, entrants: Sequence[int], winners: int, rerolls: Sequence[Sequence[int]]
) -> list[int]:
    """The current winners: the first draw, then each reroll replacing the winners it names
    (in place) with the next ones of the same sequence, never anyone who won before."""
    current, counter = choose_winners(seed, entrants, winners)
    ever = set(current)
    for replaced in rerolls:
        picks, counter = choose_winners(seed, entrants, len(replaced), counter, exclude=ever)
        if len(picks) < len(replaced):
            break  # cannot happen for a stored reroll: it was refused then
        for old, new in zip(replaced, picks, strict=True):
            current[current.index(old)] = new
        ever.update(picks)
    return current
