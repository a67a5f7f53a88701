package main

import (
	"bytes"
	"io"
	"runtime"
	"strings"
	"testing"
)

// A record of the given type around body.
func record(typ byte, body []byte) []byte {
	return append([]byte{typ, 3, 3, byte(len(body) >> 8), byte(len(body))}, body...)
}

// A handshake message of the given type around body.
func handshake(typ byte, body []byte) []byte {
	n := len(body)
	return append([]byte{typ, byte(n >> 16), byte(n >> 8), byte(n)}, body...)
}

// A TLS 1.3 ServerHello body with a session id of sidLen bytes and a
// key_share for group.
func serverHello(sidLen int, group uint16) []byte {
	b := []byte{3, 3}
	b = append(b, make([]byte, 32)...)
	b = append(b, byte(sidLen))
	b = append(b, bytes.Repeat([]byte{0xaa}, sidLen)...)
	b = append(b, 0x13, 0x01, 0) // suite, compression
	ks := []byte{byte(group >> 8), byte(group), 0, 2, 0xde, 0xad}
	sv := []byte{0, 43, 0, 2, 3, 4}
	ext := append(sv, append([]byte{0, 51, 0, byte(len(ks))}, ks...)...)
	b = append(b, byte(len(ext)>>8), byte(len(ext)))
	return append(b, ext...)
}

func TestGroupFromServerHelloSplitAcrossWrites(t *testing.T) {
	flight := record(recordHandshake, handshake(hsServerHello, serverHello(32, 29)))
	var g groupScanner
	for i := range flight { // one byte at a time: records and messages reassemble
		g.scan(flight[i : i+1])
	}
	if g.group != 29 || len(g.sessionID) != 32 {
		t.Fatalf("group %d, session id %d bytes; want 29 and 32", g.group, len(g.sessionID))
	}
}

func TestGroupFromTLS12ServerKeyExchangeAndStopAtChangeCipherSpec(t *testing.T) {
	var g groupScanner
	g.scan(record(recordHandshake, handshake(hsServerKeyExchange, []byte{curveTypeNamed, 0, 23, 65})))
	if g.group != 23 {
		t.Fatalf("group %d, want 23", g.group)
	}
	// After a ChangeCipherSpec, handshake records are encrypted: not read.
	g.scan(record(recordChangeCipherSpec, []byte{1}))
	g.scan(record(recordHandshake, handshake(hsServerKeyExchange, []byte{curveTypeNamed, 0, 24, 65})))
	if g.group != 23 || !g.done {
		t.Fatalf("group %d after the ChangeCipherSpec, want 23 kept", g.group)
	}
}

func TestGroupScannerSurvivesGarbage(t *testing.T) {
	var g groupScanner
	g.scan(record(recordHandshake, handshake(hsServerHello, []byte{3, 3, 1})))
	g.scan(record(recordHandshake, handshake(hsServerHello, serverHello(32, 29)[:40])))
	if g.group != 0 {
		t.Fatalf("group %d from a truncated ServerHello", g.group)
	}
}

// The pipe reports "idle" when its reader finds nothing, wakes it with new
// input, and reports the end of the goroutine: the basis of the
// deterministic answer to every frame.
func TestPipeRunsUntilBlockedOrFinished(t *testing.T) {
	p := newPipe()
	var got []byte
	p.run(func() {
		buf := make([]byte, 3)
		for len(got) < 5 {
			n, err := p.Read(buf)
			if err != nil {
				return
			}
			got = append(got, buf[:n]...)
			p.Write([]byte{byte(n)})
		}
	})
	if p.finished || len(got) != 0 {
		t.Fatalf("finished %v with %q before any input", p.finished, got)
	}
	p.feed([]byte("abcd"))
	p.run(nil)
	if p.finished || string(got) != "abcd" || !bytes.Equal(p.take(), []byte{3, 1}) {
		t.Fatalf("after 4 bytes: finished %v, read %q", p.finished, got)
	}
	p.feed([]byte("e"))
	p.run(nil)
	if !p.finished || string(got) != "abcde" {
		t.Fatalf("after 5 bytes: finished %v, read %q", p.finished, got)
	}
	p.run(nil) // a finished goroutine is not run again
	p.Close()
	if n, err := p.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("read after close: %d, %v", n, err)
	}
}

func TestArgsAreTheContractsFlags(t *testing.T) {
	var o options
	ok := []string{"shim", "--role", "client", "--fd", "3", "--min-version", "1.3", "--groups", "x25519",
		"--session-tickets", "on", "--app-reply-hex", "0a0b", "--time", "1767225600"}
	if parseArgs(ok, &o) != 0 || o.server || o.minVersion != tls13 || !o.sessionTickets ||
		!bytes.Equal(o.appReply, []byte{10, 11}) || o.time != 1767225600 {
		t.Fatalf("parsed %+v", o)
	}
	for _, bad := range [][]string{
		{"shim", "--role", "client"},                                      // no --fd
		{"shim", "--role", "peer", "--fd", "3"},                           // bad role
		{"shim", "--role", "client", "--fd", "3", "--app-reply-hex", "0"}, // odd hex
		{"shim", "--role", "client", "--fd", "3", "--min-version", "1.3", "--max-version", "1.2"},
		{"shim", "--role", "client", "--fd", "3", "--bogus", "1"},
		{"shim", "--role", "client", "--fd", "3", "--max-fragment-length", "1000"}, // not 2^9..2^12
		{"shim", "--role", "client", "--fd", "3", "--record-size-limit", "63"},     // under RFC 8449's 64
		{"shim", "--role", "client", "--fd", "3", "--encrypt-then-mac", "yes"},
	} {
		if parseArgs(bad, &o) != 2 {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestUnsupportedSettingsAreRefusedByName(t *testing.T) {
	for _, c := range []struct {
		args  []string
		words string
	}{
		{[]string{"--ciphers", "TLS_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"}, "TLS 1.3 suites"},
		{[]string{"--max-version", "1.3", "--min-version", "1.3", "--ciphers", "TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384,TLS_CHACHA20_POLY1305_SHA256", "--groups", "x448"}, "group x448"},
		{[]string{"--ciphers", "TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384,TLS_CHACHA20_POLY1305_SHA256"}, "every TLS 1.2 suite"},
		{[]string{"--early-data-hex", "00"}, "0-RTT"},
		{[]string{"--sigalgs", "ecdsa_secp256r1_sha256"}, "signature schemes"},
		{[]string{"--resume-session-hex", "00"}, "ClientSessionState"},
		{[]string{"--encrypt-then-mac", "on"}, "encrypt_then_mac"},
		{[]string{"--max-fragment-length", "512"}, "max_fragment_length"},
		{[]string{"--record-size-limit", "256"}, "record_size_limit"},
	} {
		var o options
		args := append([]string{"shim", "--role", "client", "--fd", "3"}, c.args...)
		if parseArgs(args, &o) != 0 {
			t.Fatalf("%v: bad arguments", args)
		}
		_, err := newShim(&o)
		if err == nil || !strings.HasPrefix(err.Error(), "unsupported: ") || !strings.Contains(err.Error(), c.words) {
			t.Errorf("%v: %v, want unsupported: ...%s", c.args, err, c.words)
		}
	}
}

// crypto/tls never offers encrypt_then_mac and ignores a client's offer,
// which is exactly what --encrypt-then-mac off asks.
func TestEncryptThenMacOffIsHonoured(t *testing.T) {
	var o options
	if parseArgs([]string{"shim", "--role", "client", "--fd", "3", "--encrypt-then-mac", "off"}, &o) != 0 {
		t.Fatal("--encrypt-then-mac off refused")
	}
	if _, err := newShim(&o); err != nil {
		t.Fatalf("--encrypt-then-mac off: %v", err)
	}
}

func TestStatusTextIsOneKeyALine(t *testing.T) {
	st := newStatus()
	st.failed = true
	st.err = "two\nlines"
	text := st.text()
	if !strings.Contains(text, "failed=1\n") || !strings.Contains(text, "alert_sent=-1\n") ||
		!strings.HasSuffix(text, "error=two lines\n") {
		t.Fatalf("status text %q", text)
	}
}

// RESET and NEXT end the connection goroutine of the run or connection
// before (retire): a client that sent its ClientHello waits for the
// server's answer on its goroutine, and must not keep waiting, one
// goroutine a run, in a process that runs thousands of runs.
func TestRetireEndsTheWaitingConnection(t *testing.T) {
	var o options
	if parseArgs([]string{"shim", "--role", "client", "--fd", "3"}, &o) != 0 {
		t.Fatal("bad arguments")
	}
	s, err := newShim(&o)
	if err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	hello, _ := s.step(nil)
	if len(hello) == 0 || !s.p.started || s.p.finished {
		t.Fatalf("no ClientHello, or the connection is not waiting (%d bytes)", len(hello))
	}
	if runtime.NumGoroutine() != before+1 {
		t.Fatalf("%d goroutines waiting, want %d", runtime.NumGoroutine(), before+1)
	}
	s.retire()
	if !s.p.finished {
		t.Fatal("the connection goroutine did not end")
	}
	// It has sent its last report; give the runtime the moment it needs to
	// take the goroutine off its list.
	for i := 0; i < 100 && runtime.NumGoroutine() > before; i++ {
		runtime.Gosched()
	}
	if runtime.NumGoroutine() != before {
		t.Fatalf("%d goroutines after retire, want %d", runtime.NumGoroutine(), before)
	}
	s.retire() // a finished connection: nothing to do
}

// Every STATUS says reset=1, the key that tells the harness it may
// keep this shim for another run.
func TestStatusSaysTheShimResets(t *testing.T) {
	st := newStatus()
	if !strings.Contains(st.text(), "\nreset=1\n") {
		t.Fatalf("status text %q has no reset=1", st.text())
	}
}
