package process

// Event types, in the order a process produces them.
const (
	EventStart  = "start"
	EventStdout = "stdout"
	EventStderr = "stderr"
	EventExit   = "exit"
)

// Event is one line of a process's event stream.
type Event struct {
	Seq      int64  `json:"seq"`
	Type     string `json:"type"`
	Data     string `json:"data,omitempty"`
	Pid      int    `json:"pid,omitempty"`
	Code     *int   `json:"code,omitempty"`
	TimedOut *bool  `json:"timed_out,omitempty"`
	// Dropped is the number of output bytes lost (evicted from the ring)
	// between the reader's position and this event.
	Dropped int64 `json:"dropped,omitempty"`
}

func startEvent(pid int) Event { return Event{Type: EventStart, Pid: pid} }

func exitEvent(code int, timedOut bool) Event {
	return Event{Type: EventExit, Code: &code, TimedOut: &timedOut}
}
