"""Credit-gateway clients (lenders' accounts at the bureau), their queries and the applications after them.

Honest clients query a borrower when the borrower applies, so an application follows within minutes
(account reviews excepted). Resellers query borrowers who never apply to them, in volume spikes and
night-time batches, for purposes or through channels their contract does not name, and reuse one
authorisation for many borrowers. Each reseller shows two to four of these behaviours.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from lendguard.sim import writer
from lendguard.sim.context import AS_OF_DAY, DAY, LENDERS, WorldContext

PURPOSES = ("credit_assessment", "account_review", "collection", "marketing")
CHANNELS = ("app", "web", "branch", "api_batch")
PRODUCTS = ("score", "report")
APP_OUTCOMES = ("approved", "rejected", "withdrawn")


def build_gateway(ctx: WorldContext) -> dict[str, dict[str, pa.Array]]:
    """``gateway_clients.csv``, ``gateway_queries.csv``, ``applications.csv``, ``truth/resellers.csv``."""
    rng = ctx.rng("gateway")
    n = ctx.borrowers
    per_lender = 2 + min(4, n // 250_000)
    clients = len(LENDERS) * per_lender
    lender_of = np.repeat(np.arange(len(LENDERS)), per_lender)
    reseller = np.zeros(clients, dtype=bool)
    # The first client of each lender is always honest, so every lender keeps an honest channel.
    candidates = np.flatnonzero(np.arange(clients) % per_lender != 0)
    reseller[rng.choice(candidates, size=max(2, clients // 4), replace=False)] = True
    # Honest queries: one per loan application (the loan's disbursal a little later), plus reviews.
    owner = ctx["loan_owner"]
    disbursed = ctx["loan_disbursed_s"]
    lender = ctx["lender"][owner]
    honest = np.flatnonzero(~reseller)
    honest_of_lender = [honest[lender_of[honest] == lender_id] for lender_id in range(len(LENDERS))]
    client = np.array([h[0] for h in honest_of_lender])[lender]
    second = np.array([h[-1] for h in honest_of_lender])[lender]
    client = np.where(rng.random(len(owner)) < 0.5, client, second)
    # Half of the lenders' decisions use the bureau (the rest rely on their own data).
    asked = np.flatnonzero(rng.random(len(owner)) < 0.5)
    owner, client, disbursed = owner[asked], client[asked], disbursed[asked]
    q_at = disbursed - rng.integers(600, 7200, len(owner))  # minutes before the loan is granted
    q_borrower, q_client, q_at_all = [owner], [client], [q_at]
    q_purpose = [np.zeros(len(owner), np.int64)]
    q_channel = [rng.integers(0, 2, len(owner))]
    applied = [rng.random(len(owner)) < 0.97]
    review = np.flatnonzero(rng.random(len(owner)) < 0.08)
    q_borrower.append(owner[review])
    q_client.append(client[review])
    q_at_all.append(np.minimum(disbursed[review] + rng.integers(30, 200, len(review)) * DAY, AS_OF_DAY * DAY - 3600))
    q_purpose.append(np.ones(len(review), np.int64))
    q_channel.append(rng.integers(0, 2, len(review)))
    applied.append(np.zeros(len(review), dtype=bool))
    auth_shared = [np.full(len(owner) + len(review), -1)]
    # Resellers: arbitrary borrowers, rarely an application, with their tell-tale behaviours.
    avg = len(owner) / max(1, len(honest))
    for c in np.flatnonzero(reseller):
        volume = int(avg * rng.uniform(0.6, 1.5))
        who = rng.integers(0, n, volume)
        traits = rng.random(4) < 0.6
        if traits.sum() < 2:
            traits[rng.choice(4, size=2, replace=False)] = True
        day = AS_OF_DAY - rng.integers(1, 365, volume)
        if traits[0]:  # volume spikes: a third of the queries on five days
            spike_days = AS_OF_DAY - rng.integers(1, 365, 5)
            day = np.where(rng.random(volume) < 0.35, spike_days[rng.integers(0, 5, volume)], day)
        sec = rng.integers(9 * 3600, 21 * 3600, volume)
        if traits[1]:  # night-time bulk
            sec = np.where(rng.random(volume) < 0.45, rng.integers(0, 5 * 3600, volume), sec)
        purpose = np.zeros(volume, np.int64)
        channel = rng.integers(0, 2, volume)
        if traits[2]:  # off-contract purposes and channels
            off = rng.random(volume) < 0.25
            purpose = np.where(off, rng.integers(2, 4, volume), purpose)
            channel = np.where(off, 3, channel)
        shared = np.full(volume, -1)
        if traits[3]:  # one authorisation reused across borrowers
            shared = np.where(rng.random(volume) < 0.3, c * 10 + rng.integers(0, 4, volume), -1)
        q_borrower.append(who)
        q_client.append(np.full(volume, c))
        q_at_all.append(day * DAY + sec)
        q_purpose.append(purpose)
        q_channel.append(channel)
        applied.append(rng.random(volume) < 0.04)
        auth_shared.append(shared)
    borrower = np.concatenate(q_borrower)
    cl = np.concatenate(q_client)
    at = np.concatenate(q_at_all)
    order = np.lexsort((borrower, at))
    borrower, cl, at = borrower[order], cl[order], at[order]
    purpose = np.concatenate(q_purpose)[order]
    channel = np.concatenate(q_channel)[order]
    app = np.concatenate(applied)[order]
    shared = np.concatenate(auth_shared)[order]
    m = len(order)
    query_ids = writer.digits(np.arange(m) + 1, 9, "GQ")
    auth = writer.where(
        shared >= 0, writer.digits(np.maximum(shared, 0), 6, "AUZ"), writer.digits(np.arange(m) + 1, 9, "AU")
    )
    from lendguard.sim.people import borrower_ids

    client_ids = [f"GC{c + 1:02d}" for c in range(clients)]
    queries = {
        "query_id": query_ids,
        "client_id": writer.pick(client_ids, cl),
        "borrower_id": borrower_ids(borrower),
        "at": writer.timestamps(at),
        "purpose": writer.pick(PURPOSES, purpose),
        "channel": writer.pick(CHANNELS, channel),
        "product": writer.pick(PRODUCTS, (rng.random(m) < 0.3).astype(np.int64)),
        "authorization_id": auth,
    }
    a_rows = np.flatnonzero(app)
    a_at = at[a_rows] + rng.integers(300, 3600, len(a_rows))
    applications = {
        "application_id": writer.digits(np.arange(len(a_rows)) + 1, 9, "AP"),
        "client_id": writer.pick(client_ids, cl[a_rows]),
        "borrower_id": borrower_ids(borrower[a_rows]),
        "at": writer.timestamps(np.minimum(a_at, AS_OF_DAY * DAY - 1)),
        "outcome": writer.pick(APP_OUTCOMES, rng.choice(3, size=len(a_rows), p=[0.7, 0.25, 0.05])),
    }
    lenders = [code for code, _ in LENDERS]
    prepaid = np.array([15_000_000, 10_000_000, 2_000_000])[rng.integers(0, 3, clients)]
    client_cols = {
        "client_id": pa.array(client_ids),
        "institution_id": writer.pick(lenders, lender_of),
        "name": pa.array(
            [
                f"{lenders[lender_of[c]]} {('app', 'web', 'risk', 'ops', 'partner', 'data')[c % per_lender]} channel"
                for c in range(clients)
            ]
        ),
        "purposes": pa.array(["credit_assessment;account_review"] * clients),
        "channels": pa.array(["app;web"] * clients),
        "prepaid": writer.money(prepaid),
        "rate_per_second": writer.ints(rng.integers(5, 51, clients)),
        "rate_per_day": writer.ints(rng.integers(5, 201, clients) * 1000),
    }
    truth = {"client_id": pa.array(client_ids), "kind": writer.pick(("honest", "reseller"), reseller)}
    return {
        "gateway_clients": client_cols,
        "gateway_queries": queries,
        "applications": applications,
        "truth/resellers": truth,
    }
