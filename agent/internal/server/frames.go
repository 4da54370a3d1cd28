package server

import (
	"encoding/binary"
	"fmt"
	"io"
)

// PTY stream frames (docs/agent-protocol.md, "PTYs"): 1 byte type, 4 bytes
// big-endian payload length, payload.
const (
	frameData   = 0
	frameResize = 1
	frameKill   = 2
	frameExit   = 3
	frameOffset = 4

	frameHeader = 5
	// maxInFrame bounds a frame from the client; larger is a protocol error.
	maxInFrame = 1 << 20
)

// appendFrame appends one frame to dst.
func appendFrame(dst []byte, typ byte, payload []byte) []byte {
	dst = append(dst, typ, 0, 0, 0, 0)
	binary.BigEndian.PutUint32(dst[len(dst)-4:], uint32(len(payload)))
	return append(dst, payload...)
}

// readFrame reads one frame, reusing buf for the payload when it is large
// enough.
func readFrame(r io.Reader, buf []byte) (byte, []byte, error) {
	var hdr [frameHeader]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	if n > maxInFrame {
		return 0, nil, fmt.Errorf("frame of %d bytes is over the %d byte limit", n, maxInFrame)
	}
	if int(n) > cap(buf) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		return 0, nil, err
	}
	return hdr[0], buf, nil
}
