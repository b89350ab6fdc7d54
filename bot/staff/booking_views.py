"""How `python -m bot booking …` shows offices and bookings: the JSON shapes the README documents, and the
plain-text lines. Phones, addresses and topics are never in JSON; only the plain-text view shows them."""

from __future__ import annotations

from typing import Any, TextIO

from bot.staff.common import OK, print_json
from dialogs.booking.notices import office_name
from dialogs.booking.service import HOTLINE, BookingService
from knowledge import Knowledge
from storage.booking import Booking


def service_title(kb: Knowledge, service: str) -> str:
    found = kb.services.get(service)
    return found.short_title if found else service


def offices_json(service: BookingService) -> list[dict[str, Any]]:
    """The offices as `offices --json` shows them: windows per service group, slot lengths; the hotline last."""
    kb, data = service.kb, service.data
    out: list[dict[str, Any]] = []
    for cfg in data.offices:
        office = next((o for o in kb.contacts.offices if o.id == cfg.office), None)
        out.append(
            {
                "id": cfg.office,
                "kind": "office",
                "name": office.name if office else cfg.office,
                "short_name": office_name(kb, cfg.office),
                "address": office.address if office else None,
                "priority_share": cfg.priority_share,
                "priority_only": cfg.priority_only,
                "assumed": list(cfg.assumed),
                "groups": [
                    {
                        "id": group.id,
                        "windows": group.windows,
                        "slot_minutes": group.minutes,
                        "services": [
                            {
                                "id": s,
                                "card": kb.services[s].card if s in kb.services else None,
                                "title": service_title(kb, s),
                            }
                            for s in group.services
                        ],
                    }
                    for group in cfg.groups
                ],
            }
        )
    hotline = data.hotline
    line = next((h for h in kb.contacts.hotlines if h.id == hotline.hotline), None)
    out.append(
        {
            "id": HOTLINE,
            "kind": "hotline",
            "name": line.name if line else hotline.hotline,
            "short_name": office_name(kb, HOTLINE),
            "address": None,
            "phone": line.phone if line else None,
            "priority_share": 0.0,
            "priority_only": False,
            "assumed": list(hotline.assumed),
            # Callbacks take any service: the operators are the windows.
            "groups": [
                {
                    "id": HOTLINE,
                    "windows": hotline.operators,
                    "slot_minutes": hotline.slot_minutes,
                    "services": [],
                }
            ],
        }
    )
    return out


def print_offices(service: BookingService, as_json: bool, out: TextIO) -> int:
    """`offices`: needs no database."""
    offices = offices_json(service)
    if as_json:
        print_json(offices, out)
        return OK
    for office in offices:
        address = f", {office['address']}" if office["address"] else ""
        out.write(f"{office['id']}: {office['name']}{address}\n")
        for group in office["groups"]:
            services = ", ".join(s["id"] for s in group["services"]) or "any service"
            out.write(f"  {group['id']}: {group['windows']} × {group['slot_minutes']} min — {services}\n")
    return OK


def booking_json(service: BookingService, booking: Booking) -> dict[str, Any]:
    """A booking as `list --json` shows it: no phone, no address, no topic."""
    return {
        "code": booking.code,
        "start": service.local(booking.start).isoformat() if booking.start else None,
        "office": booking.office,
        "service": booking.service,
        "kind": booking.kind,
        "status": booking.status,
        "priority": bool(booking.priority),
        "channel": booking.channel,
    }


def booking_line(service: BookingService, booking: Booking) -> str:
    """A booking as the plain-text staff view shows it; a callback's or visit's phone on the line below."""
    when = f"{service.local(booking.start):%Y-%m-%d %H:%M}" if booking.start else "(no date yet)   "
    mark = f"  ★ {booking.priority_group or 'priority'}" if booking.priority else ""
    line = (
        f"{when}  {booking.code:<8}  {booking.status:<9}  {booking.kind:<8}  {booking.office:<14}  "
        f"{service_title(service.kb, booking.service)} [{booking.service}]  via {booking.channel}{mark}"
    )
    if booking.kind in ("callback", "visit") and booking.status in ("booked", "requested"):
        details = [f"phone {booking.phone or '—'}"]
        if booking.address:
            details.append(f"address: {booking.address}")
        if booking.topic:
            details.append(f"topic: {booking.topic}")
        line += "\n" + " " * 18 + "; ".join(details)
    return line
