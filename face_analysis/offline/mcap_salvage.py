"""Reading the intact beginning of a truncated MCAP file.

A recorder killed mid-recording leaves an MCAP without its summary and end magic, which
`rosbags` refuses to open. The records before the damage are still complete, so this walks them
in file order (https://mcap.dev/spec: opcode u8, length u64, body; chunks hold records of their
own) and stops at the first one that is cut off or malformed."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

from rosbags.rosbag2 import ReaderError
from rosbags.rosbag2.storage_mcap import decompress

MAGIC = b"\x89MCAP0\r\n"
OP_FOOTER, OP_SCHEMA, OP_CHANNEL, OP_MESSAGE, OP_CHUNK = 0x02, 0x03, 0x04, 0x05, 0x06
OP_DATA_END = 0x0F


class _Cut(Exception):
    """The file ends, or turns to garbage, inside a record."""


def _string(body: bytes, pos: int) -> tuple[str, int]:
    (size,) = struct.unpack_from("<I", body, pos)
    end = pos + 4 + size
    if end > len(body):
        raise _Cut("string runs past its record")
    return body[pos + 4 : end].decode(), end


class SalvagedMcap:
    """Topics and complete messages of a damaged MCAP file (read into memory once)."""

    def __init__(self, path: Path):
        data = path.read_bytes()
        if not data.startswith(MAGIC):
            raise ReaderError(f"{path} does not start with the MCAP magic")
        self.stopped: str | None = None  # why reading ended before the file's end, if it did
        schemas: dict[int, str] = {}
        self.channels: dict[int, tuple[str, str]] = {}  # id -> (topic, msgtype)
        self.complete_messages: list[tuple[int, int, bytes]] = []  # (channel, log time, payload)
        try:
            self._walk(data[len(MAGIC) :], schemas)
        except (_Cut, struct.error, UnicodeDecodeError, ReaderError) as exc:
            self.stopped = str(exc)

    def _walk(self, data: bytes, schemas: dict[int, str]) -> None:
        pos = 0
        while pos < len(data):
            if pos + 9 > len(data):
                raise _Cut(f"record header cut off at byte {pos}")
            op, size = struct.unpack_from("<BQ", data, pos)
            body = data[pos + 9 : pos + 9 + size]
            if len(body) < size and op != OP_CHUNK:
                raise _Cut(f"record at byte {pos} needs {size} bytes, {len(body)} left")
            if op == OP_SCHEMA:
                (schema_id,) = struct.unpack_from("<H", body)
                schemas[schema_id] = _string(body, 2)[0]
            elif op == OP_CHANNEL:
                channel_id, schema_id = struct.unpack_from("<HH", body)
                self.channels[channel_id] = (_string(body, 4)[0], schemas.get(schema_id, ""))
            elif op == OP_MESSAGE:
                channel_id, _, log_time = struct.unpack_from("<HIQ", body)
                self.complete_messages.append((channel_id, log_time, body[22:]))
            elif op == OP_CHUNK:
                self._walk_chunk(body, size, schemas)
            elif op in (OP_DATA_END, OP_FOOTER):
                return
            pos += 9 + size

    def _walk_chunk(self, body: bytes, size: int, schemas: dict[int, str]) -> None:
        """A chunk's records; of a cut-off uncompressed chunk (writers fill chunks of about
        1 MiB, so a cut usually falls inside one) the records that are complete."""
        _, _, raw_size, crc = struct.unpack_from("<QQQI", body)
        compression, pos = _string(body, 28)
        (length,) = struct.unpack_from("<Q", body, pos)
        records = body[pos + 8 : pos + 8 + length]
        if len(body) == size and len(records) == length:
            self._walk(decompress(records, compression, raw_size, crc), schemas)
        elif compression == "":
            self._walk(records, schemas)  # raises _Cut at the first incomplete record
            raise _Cut("chunk cut off")
        else:
            raise _Cut(f"{compression} chunk cut off, its messages cannot be decompressed")

    def topics(self) -> list[tuple[str, str, int]]:
        """(topic, msgtype, complete messages) per channel."""
        counts: dict[int, int] = {}
        for channel_id, _, _ in self.complete_messages:
            counts[channel_id] = counts.get(channel_id, 0) + 1
        return [
            (topic, msgtype, counts.get(cid, 0))
            for cid, (topic, msgtype) in sorted(self.channels.items())
        ]

    def messages(self, topic: str) -> Iterator[tuple[int, bytes]]:
        """(log time, payload) of the topic's complete messages, in log-time order."""
        ids = {cid for cid, (name, _) in self.channels.items() if name == topic}
        picked = [(t, payload) for cid, t, payload in self.complete_messages if cid in ids]
        yield from sorted(picked, key=lambda item: item[0])
