"""Copies, media and files in the emulator's adapter (see testkit/telegram/adapter.py): copyMessage, sendPhoto and
sendDocument with uploads or known file ids, getFile, and the file download route."""

from __future__ import annotations

import hashlib

from aiohttp import web

from testkit.telegram.adapter_base import CONTENT_FIELDS, SERVICE_FIELDS, ApiError, Json
from testkit.telegram.forum import Forum


class Files(Forum):
    """Copies, media and files."""

    async def _copy_message(self, token: str, params: Json) -> Json:
        chat, thread = self._target(token, params)
        source = await self._find(token, int(params.get("from_chat_id", 0)), int(params.get("message_id", 0)))
        if source is None:
            raise ApiError("Bad Request: message to copy not found")
        content = {k: source[k] for k in CONTENT_FIELDS if k in source}
        if not content or any(k in source for k in SERVICE_FIELDS):
            raise ApiError("Bad Request: message can't be copied")
        for key in ("caption", "parse_mode", "caption_entities"):
            if key in params:
                content[key] = params[key]
        if "reply_markup" in params:
            content["reply_markup"] = params["reply_markup"]
        message = await self._store(token, chat, thread, content)
        return {"message_id": message["message_id"]}

    def _new_file(self, data: bytes | None) -> tuple[str, str]:
        n = next(self._file_ids)
        file_id, unique = f"emulated-file-{n}", f"emulated-unique-{n}"
        if data is not None:
            self.files[file_id] = data
        return file_id, unique

    async def _known_file(self, token: str, file_id: str, field: str) -> Json | None:
        """The photo sizes or document that carries this file_id in any stored message."""
        for item in await self.history(token):
            value = (item.get("message") or {}).get(field)
            for obj in value if isinstance(value, list) else [value] if value else []:
                if isinstance(obj, dict) and obj.get("file_id") == file_id:
                    return dict(obj)
        return None

    async def _media(self, token: str, params: Json, field: str) -> tuple[Json, bytes | None]:
        """The photo size or document a send names: an upload, a URL, or a file_id the bot has seen."""
        raw = str(params.get(field) or "")
        files: dict[str, tuple[str, bytes]] = params["_files"]
        name, data = "file", None
        if raw.startswith("attach://") and raw[len("attach://") :] in files:
            name, data = files[raw[len("attach://") :]]
        elif field in files:
            name, data = files[field]
        elif raw.startswith(("http://", "https://")):
            name = raw.rsplit("/", 1)[-1] or "file"
        elif raw and (known := await self._known_file(token, raw, field)):
            return known, None
        elif raw in self.files:  # put by a test
            data = self.files[raw]
            return self._file_object(field, raw, f"unique-{raw}", name, len(data)), data
        elif raw:
            raise ApiError("Bad Request: wrong file identifier/HTTP URL specified")
        else:
            raise ApiError(f"Bad Request: there is no {field} in the request")
        file_id, unique = self._new_file(data)
        return self._file_object(field, file_id, unique, name, len(data) if data is not None else 1024), data

    @staticmethod
    def _file_object(field: str, file_id: str, unique: str, name: str, size: int) -> Json:
        """A PhotoSize for a photo, a Document otherwise."""
        if field == "photo":
            return {
                "file_id": file_id,
                "file_unique_id": unique,
                "width": 640,
                "height": 480,
                "file_size": size,
            }
        return {"file_id": file_id, "file_unique_id": unique, "file_name": name,
                "mime_type": "application/octet-stream", "file_size": size}  # fmt: skip

    async def _send_media(self, token: str, params: Json, field: str) -> Json:
        chat, thread = self._target(token, params)
        media, _ = await self._media(token, params, field)
        content: Json = {field: [media] if field == "photo" else media}
        for key in ("caption", "parse_mode", "caption_entities", "reply_markup"):
            if params.get(key):
                content[key] = params[key]
        return await self._store(token, chat, thread, content)

    async def _send_photo(self, token: str, params: Json) -> Json:
        return await self._send_media(token, params, "photo")

    async def _send_document(self, token: str, params: Json) -> Json:
        return await self._send_media(token, params, "document")

    async def _get_file(self, token: str, params: Json) -> Json:
        file_id = str(params.get("file_id") or "")
        known = None
        for field in ("photo", "document", "voice", "video", "audio"):
            if known := await self._known_file(token, file_id, field):
                break
        if known is None and file_id not in self.files:
            raise ApiError("Bad Request: invalid file_id")
        data = self.file_bytes(file_id)
        unique = (known or {}).get("file_unique_id", file_id)
        return {
            "file_id": file_id,
            "file_unique_id": unique,
            "file_size": len(data),
            "file_path": f"files/{file_id}",
        }

    def file_bytes(self, file_id: str) -> bytes:
        """A file's bytes: what was uploaded or put in `files`, else a placeholder that names the file."""
        data = self.files.get(file_id)
        return data if data is not None else b"emulated file " + hashlib.sha256(file_id.encode()).digest()

    async def download(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        if not path.startswith("files/"):
            raise web.HTTPNotFound()
        return web.Response(body=self.file_bytes(path[len("files/") :]))
