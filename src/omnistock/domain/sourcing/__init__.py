"""Sourcing: which locations fulfil an order, at what cost, and why.

Pure: the channel's locations (candidates, with their stock and load) and a policy come in; a
plan with its cost terms and an explanation comes out. Services call `milp.plan_order`, which
solves exactly when the model is small enough and otherwise uses the heuristic plan.

    money, checks, policy       cents, input checks, a channel's rules
    inputs                      the order and the candidate nodes
    problem, preparation        the order's usable routes and the excluded nodes
    costs, shipments            what each shipment costs, term by term
    explanation, plan           the plan and why it chose its nodes
    heuristic                   the fast plan
    highs, milp                 the exact plan (HiGHS), and plan_order
    batch, wave_model           a backlog planned jointly

The solver modules are not re-exported here, so code that needs only the data types does not
load HiGHS.
"""

from .inputs import Candidate, Delivery, DeliveryMethod, OrderLine, SourcingOrder
from .plan import SourcingPlan
from .policy import SourcingPolicy

__all__ = [
    "Candidate",
    "Delivery",
    "DeliveryMethod",
    "OrderLine",
    "SourcingOrder",
    "SourcingPlan",
    "SourcingPolicy",
]
