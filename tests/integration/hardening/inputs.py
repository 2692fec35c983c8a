"""What the hardening tests send: the API token their app accepts, and request bodies that count
how much of them the app read."""

from __future__ import annotations

import io

API_TOKEN = "hardening-token-0123456789"


class CountingStream(io.RawIOBase):
    """A request body of `size` bytes (`prefix`, then "a"s), made on demand and never held in
    memory whole, that counts how many bytes the app read (seeking, as the test client does to
    measure it, reads nothing)."""

    def __init__(self, size: int, prefix: bytes = b"") -> None:
        self.size = size
        self.prefix = prefix
        self.position = 0
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = max(0, min(self.size, base + offset))
        return self.position

    def readinto(self, buffer) -> int:
        count = min(len(buffer), self.size - self.position)
        if count <= 0:
            return 0
        head = self.prefix[self.position : self.position + count]
        buffer[:count] = head + b"a" * (count - len(head))
        self.position += count
        self.bytes_read += count
        return count
