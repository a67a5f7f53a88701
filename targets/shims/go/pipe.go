package main

import (
	"io"
	"net"
	"sync"
	"time"
)

// pipe is the memory net.Conn under one crypto/tls connection. crypto/tls
// has no memory-BIO API: it reads and writes a net.Conn from the goroutine
// that runs it. So that every frame gets its answer deterministically (no
// timing-based waits, docs/shim-contract.md "Talking"), the goroutine
// itself says when it has gone as far as the input allows: its Read finds
// nothing buffered and reports "idle" before it waits for more; and it
// reports "idle" once more, finished, when the connection's goroutine ends.
// The main loop wakes it after each frame and waits for that report.
type pipe struct {
	mu     sync.Mutex
	in     []byte // the peer's bytes, not read yet
	out    []byte // the stack's bytes, not sent yet
	closed bool   // no more input will come: Read returns EOF

	wake chan struct{} // main loop → goroutine: look at the input again
	idle chan bool     // goroutine → main loop: blocked on an empty read (false) or finished (true)

	started, finished bool // main loop's view
}

func newPipe() *pipe { return &pipe{wake: make(chan struct{}), idle: make(chan bool)} }

// run starts fn on its own goroutine at the first call, else wakes the
// goroutine; then waits until it blocks on an empty read or ends. A
// goroutine that ended is not run again.
func (p *pipe) run(fn func()) {
	if p.finished {
		return
	}
	if !p.started {
		p.started = true
		go func() {
			fn()
			p.idle <- true
		}()
	} else {
		p.wake <- struct{}{}
	}
	p.finished = <-p.idle
}

func (p *pipe) feed(b []byte) {
	p.mu.Lock()
	p.in = append(p.in, b...)
	p.mu.Unlock()
}

// take hands over what the stack wrote since the last call.
func (p *pipe) take() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.out
	p.out = nil
	return b
}

func (p *pipe) Read(b []byte) (int, error) {
	for {
		p.mu.Lock()
		if len(p.in) > 0 {
			n := copy(b, p.in)
			p.in = p.in[n:]
			p.mu.Unlock()
			return n, nil
		}
		closed := p.closed
		p.mu.Unlock()
		if closed {
			return 0, io.EOF
		}
		// Nothing buffered: the stack went as far as the input allows.
		p.idle <- false
		<-p.wake
	}
}

// Write never blocks and is never short: the bytes go to the harness after
// this frame.
func (p *pipe) Write(b []byte) (int, error) {
	p.mu.Lock()
	p.out = append(p.out, b...)
	p.mu.Unlock()
	return len(b), nil
}

// Close is what crypto/tls calls on errors of its own (Conn.Close); the
// harness, not the stack, ends the transport, so it only ends the input.
func (p *pipe) Close() error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	return nil
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "shim" }
func (pipeAddr) String() string  { return "harness" }

func (p *pipe) LocalAddr() net.Addr  { return pipeAddr{} }
func (p *pipe) RemoteAddr() net.Addr { return pipeAddr{} }

// Deadlines do not apply: nothing here waits on the clock.
func (p *pipe) SetDeadline(time.Time) error      { return nil }
func (p *pipe) SetReadDeadline(time.Time) error  { return nil }
func (p *pipe) SetWriteDeadline(time.Time) error { return nil }
