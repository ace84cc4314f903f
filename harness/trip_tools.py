"""The trip-planning tools of the guide's X-ray example, with deterministic fake results.

``search_flights`` and ``search_hotels`` are what the guide's ReasoningAgent calls while it
plans "a weekend trip to Lisbon". They answer from a fixed table (no network, no randomness),
so a recorded run and its replay see the same tool output, and the demo prints the same tree
on every machine.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from sik_llms import clock as _clock
from sik_llms.tools import Parameter, Tool

TRIP_QUESTION = "Plan a weekend trip to Lisbon"

_AIRLINES = ("TAP Air Portugal", "easyJet", "Ryanair", "British Airways", "Iberia")
_HOTELS = (
    ("Memmo Alfama", "Alfama", 4.7),
    ("Lisboa Pessoa Hotel", "Chiado", 4.6),
    ("Hotel Avenida Palace", "Baixa", 4.5),
    ("Casa do Principe", "Principe Real", 4.8),
    ("The Lumiares", "Bairro Alto", 4.6),
)


#: how long each fake "external API" takes (seconds): the flight search is the guide's bottleneck
TOOL_LATENCY = {"search_flights": 1.4, "search_hotels": 0.9, "get_weather": 0.2}


def _external_call(name: str) -> None:
    """Spend the tool's fixed latency: on a virtual clock (replay) advance it, else sleep."""
    seconds = TOOL_LATENCY[name]
    clock = _clock.current_clock()
    advance = getattr(clock, "advance", None)
    if advance is not None:
        advance(seconds)
    else:
        time.sleep(seconds)


def _pick(key: str, n: int) -> int:
    """A stable small integer from ``key`` (the same on every run and machine)."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big") % n


def search_flights(
    origin: str, destination: str, depart_date: str = "Friday", return_date: str = "Sunday"
) -> dict[str, Any]:
    """Search round-trip flights between two cities.

    Args:
        origin: city or airport the traveller leaves from
        destination: city or airport to fly to
        depart_date: outbound day or date
        return_date: return day or date
    """
    _external_call("search_flights")
    key = f"{origin.lower()}|{destination.lower()}|{depart_date}|{return_date}"
    options = []
    for i in range(3):
        airline = _AIRLINES[(_pick(key, len(_AIRLINES)) + i) % len(_AIRLINES)]
        price = 89 + 37 * i + _pick(f"{key}:{i}", 40)
        options.append(
            {
                "airline": airline,
                "depart": f"{depart_date} {7 + 4 * i:02d}:{15 * (i % 4):02d}",
                "return": f"{return_date} {16 + 2 * i:02d}:30",
                "price_eur": price,
                "stops": 0 if i < 2 else 1,
            }
        )
    return {"origin": origin, "destination": destination, "options": options}


def search_hotels(
    city: str, check_in: str = "Friday", check_out: str = "Sunday", max_price_eur: int = 250
) -> dict[str, Any]:
    """Search hotels in a city for the given nights.

    Args:
        city: city to stay in
        check_in: arrival day or date
        check_out: departure day or date
        max_price_eur: highest nightly price to show, in euros
    """
    _external_call("search_hotels")
    key = f"{city.lower()}|{check_in}|{check_out}"
    start = _pick(key, len(_HOTELS))
    hotels = []
    for i in range(3):
        name, area, rating = _HOTELS[(start + i) % len(_HOTELS)]
        nightly = 110 + 45 * i + _pick(f"{key}:{i}", 30)
        if nightly <= max_price_eur:
            hotels.append({"name": name, "area": area, "rating": rating, "nightly_eur": nightly})
    return {"city": city, "check_in": check_in, "check_out": check_out, "hotels": hotels}


def get_weather(city: str) -> dict[str, Any]:
    """Current weather for a city (used by the single tools-call scenarios).

    Args:
        city: the city to report on
    """
    _external_call("get_weather")
    temps = 14 + _pick(city.lower(), 15)
    return {
        "city": city,
        "temperature_c": temps,
        "conditions": ("sunny", "cloudy", "windy")[_pick(city, 3)],
    }


def trip_tools() -> list[Tool]:
    """The agent's tools for the trip-planning run."""
    return [Tool.from_function(search_flights), Tool.from_function(search_hotels)]


def weather_tool() -> Tool:
    """The tool of the plain tools-call scenarios."""
    return Tool.from_function(get_weather)


def trip_parameters() -> list[Parameter]:  # pragma: no cover - convenience for docs
    """The parameters of both trip tools (handy when describing them in docs)."""
    return [p for t in trip_tools() for p in t.parameters]
