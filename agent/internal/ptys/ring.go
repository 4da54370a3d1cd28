package ptys

// byteRing keeps the newest output of a terminal within a fixed budget,
// addressed by a running byte offset: the bytes kept are [start, end).
type byteRing struct {
	buf   []byte
	start int64
	end   int64
}

func newByteRing(size int) *byteRing { return &byteRing{buf: make([]byte, size)} }

func (r *byteRing) size() int { return len(r.buf) }

// unreadFrom is how many kept bytes lie at or past offset off.
func (r *byteRing) unreadFrom(off int64) int { return int(r.end - max(off, r.start)) }

// write appends b, evicting the oldest bytes beyond the budget.
func (r *byteRing) write(b []byte) {
	if len(b) > len(r.buf) {
		r.end += int64(len(b) - len(r.buf))
		b = b[len(b)-len(r.buf):]
	}
	for len(b) > 0 {
		at := int(r.end % int64(len(r.buf)))
		n := copy(r.buf[at:], b)
		b = b[n:]
		r.end += int64(n)
	}
	if r.end-r.start > int64(len(r.buf)) {
		r.start = r.end - int64(len(r.buf))
	}
}

// clamp moves off into the kept range [start, end].
func (r *byteRing) clamp(off int64) int64 { return min(max(off, r.start), r.end) }

// read copies up to limit kept bytes from offset off (which clamp has put in
// range).
func (r *byteRing) read(off int64, limit int) []byte {
	off = r.clamp(off)
	n := int(min(int64(limit), r.end-off))
	out := make([]byte, n)
	for done := 0; done < n; {
		at := int((off + int64(done)) % int64(len(r.buf)))
		done += copy(out[done:], r.buf[at:at+min(n-done, len(r.buf)-at)])
	}
	return out
}
