"""A fake alerts.in.ua API on loopback: `/v1/iot/active_air_raid_alerts/{uid}.json` (a one-letter status) and
`/v1/alerts/active.json` (the list), bearer token checked, Last-Modified / If-Modified-Since as the real API
answers them. The test sets what it says (`status`), or makes it fail (`fail` = "500", "hang", "nonsense"), and
reads how often it was asked (`asked`)."""

from __future__ import annotations

import asyncio
import datetime as dt
from email.utils import format_datetime

from aiohttp import web

TOKEN = "test-alerts-token"
UID = "1293"  # a location uid for the tests (the real Kryvyi Rih uid is configured, docs/DEPLOY.md)


class SwitchedSource:
    """An alert source the test switches by hand (`on`), for tests of what an alert changes; the HTTP source
    itself is tested against FakeAlerts."""

    def __init__(self) -> None:
        self.on = False

    async def active(self) -> bool:
        return self.on


class FakeAlerts:
    def __init__(self, token: str = TOKEN, uid: str = UID) -> None:
        self.token = token
        self.uid = uid
        self.status = "N"  # "A" alert, "P" a part of the location, "N" none
        self.fail: str | None = None  # "500", "hang" (longer than any client waits), "nonsense"
        self.iot_knows = True  # False: the IoT endpoint answers 404 for the uid (the list is read instead)
        self.asked = 0
        self.url = ""  # set by `serve`
        self._version = 0  # bumped whenever what it says changes: the Last-Modified
        self._said: str | None = None
        self.app = web.Application()
        self.app.router.add_get("/v1/iot/active_air_raid_alerts/{uid}.json", self._iot)
        self.app.router.add_get("/v1/alerts/active.json", self._list)

    def _modified(self) -> str:
        if self._said != self.status:
            self._said, self._version = self.status, self._version + 1
        moment = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=self._version)
        return format_datetime(moment, usegmt=True)

    async def _refusal(self, request: web.Request) -> web.StreamResponse | None:
        self.asked += 1
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"message": "API token required"}, status=401)
        if self.fail == "500":
            return web.Response(status=500, text="internal error")
        if self.fail == "hang":
            await asyncio.sleep(30)
        if self.fail == "nonsense":
            return web.Response(text='{"alerts": [', content_type="application/json")
        modified = self._modified()
        if request.headers.get("If-Modified-Since") == modified:
            return web.Response(status=304, headers={"Last-Modified": modified})
        return None

    async def _iot(self, request: web.Request) -> web.StreamResponse:
        refused = await self._refusal(request)
        if refused is not None:
            return refused
        if not self.iot_knows or request.match_info["uid"] != self.uid:
            return web.json_response({"message": "Not found"}, status=404)
        return web.json_response(self.status, headers={"Last-Modified": self._modified()})

    async def _list(self, request: web.Request) -> web.StreamResponse:
        refused = await self._refusal(request)
        if refused is not None:
            return refused
        alerts = []
        if self.status in "AP":
            alerts.append({"id": 1, "location_title": "Криворізька територіальна громада",
                           "location_type": "hromada", "started_at": "2026-12-04T07:00:00.000Z",
                           "finished_at": None, "alert_type": "air_raid", "location_uid": self.uid,
                           "location_oblast": "Дніпропетровська область"})  # fmt: skip
        alerts.append({"id": 2, "location_title": "Інша громада", "location_type": "hromada",
                       "started_at": "2026-12-04T06:00:00.000Z", "finished_at": None, "alert_type": "air_raid",
                       "location_uid": "1"})  # fmt: skip
        return web.json_response(
            {"alerts": alerts, "meta": {"last_updated_at": "2026/12/04 09:00:00 +0000"}, "disclaimer": "test"},
            headers={"Last-Modified": self._modified()},
        )

    async def serve(self) -> str:
        """Listen on a free loopback port; the base URL for ALERTS_API_URL. `stop` ends it."""
        from testkit.net import free_port

        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        await self._runner.cleanup()
