// shakedown-shim-go puts Go's crypto/tls behind the shim contract
// (docs/shim-contract.md): the same flags, frames and STATUS keys as the C
// shims (targets/shims/shim_common.c), written in Go because crypto/tls has
// no C API. Standard library only, built offline.
//
// This file is the contract's side: argv, framing, the main loop and the
// test hooks. pipe.go is the memory net.Conn that drives crypto/tls
// deterministically, stack.go the configuration and the connection, wire.go
// what crypto/tls does not tell (the negotiated group).
package main

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

// Frame types (harness/stacks/shim_protocol.h).
const (
	frameStart   = 1
	frameData    = 2
	frameStatus  = 3
	frameExport  = 4
	frameClose   = 5
	frameNext    = 6
	frameSession = 7
	frameReset   = 8

	frameHeaderLen  = 5
	maxFrame        = 1 << 24
	maxExportLabel  = 255
	maxExportLen    = 1024
	maxAppReply     = 16384
	maxSession      = 32768
	maxEarlyData    = 16384
	tls12           = 0x0303
	tls13           = 0x0304
	authNone        = 0
	authRequest     = 1
	authRequire     = 2
	exitUsage       = 2
	exitProtocolErr = 3
)

type options struct {
	server                 bool
	minVersion, maxVersion uint16
	cert, key, trust       string
	crl, crlIssuer         string
	serverName             string
	time                   int64
	groups, ciphers        string
	sigalgs                string
	clientAuth             int
	appReply               []byte
	sessionTickets         bool
	sessionCache           bool
	resumeSession          []byte
	renegotiation          bool
	maxEarlyData           int64
	earlyData              []byte
	encryptThenMac         bool  // --encrypt-then-mac on (off is crypto/tls's own way)
	maxFragmentLength      int64 // --max-fragment-length, 0: none
	recordSizeLimit        int64 // --record-size-limit, 0: none
	fd                     int
}

// status is what one STATUS frame says (docs/shim-contract.md, "STATUS").
type status struct {
	handshakeDone     bool
	failed            bool
	alertSent         int
	alertSentLevel    int
	alertReceived     int
	closeNotifySent   bool
	version, cipher   uint16
	group             uint16
	peerAuthenticated bool
	appReplies        int
	err               string
}

func newStatus() status { return status{alertSent: -1, alertSentLevel: -1, alertReceived: -1} }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (s *status) text() string {
	// The error goes last, its line breaks flattened: one value.
	e := strings.NewReplacer("\n", " ", "\r", " ").Replace(s.err)
	if len(e) > 255 {
		e = e[:255]
	}
	return fmt.Sprintf("handshake_done=%d\nfailed=%d\nalert_sent=%d\nalert_sent_level=%d\n"+
		"alert_received=%d\nclose_notify_sent=%d\nversion=%d\ncipher=%d\ngroup=%d\n"+
		"peer_authenticated=%d\napp_replies=%d\nreset=1\nerror=%s\n",
		b2i(s.handshakeDone), b2i(s.failed), s.alertSent, s.alertSentLevel, s.alertReceived,
		b2i(s.closeNotifySent), s.version, s.cipher, s.group, b2i(s.peerAuthenticated), s.appReplies, e)
}

const usageText = `usage: %[1]s --fd N --role client|server [options]
       %[1]s --version

The shakedown shim for Go's crypto/tls (docs/shim-contract.md). Started by
the harness, it speaks the shim protocol on file descriptor N.

  --role client|server       the role the stack plays
  --min-version 1.2|1.3      lowest TLS version to accept (default 1.2)
  --max-version 1.2|1.3      highest TLS version to offer (default 1.3)
  --cert FILE                PEM chain, leaf first
  --key FILE                 PEM private key of the leaf
  --trust FILE               PEM trust anchor(s)
  --crl FILE                 PEM CRL(s) consulted when verifying the peer
  --crl-issuer FILE          PEM certificate(s) that signed the CRLs (unused:
                             the issuer in the verified chain checks them)
  --server-name NAME         client: SNI and the name the leaf must carry
  --time UNIX                certificate validation time (seconds)
  --groups LIST              IANA group names, e.g. x25519,secp256r1
  --ciphers LIST             IANA cipher suite names
  --sigalgs LIST             IANA signature scheme names (unsupported by crypto/tls)
  --client-auth none|request|require   server: ask for a client certificate
  --app-reply-hex HEX        answer each application-data read that holds a
                             newline with these bytes instead of echoing it
  --session-tickets on|off   server: issue session tickets; client: ask for
                             them and keep them (default off)
  --session-cache on|off     server: keep a TLS 1.2 session cache (default off)
  --resume-session-hex HEX   client: resume this session (a SESSION answer)
  --renegotiation on|off     TLS 1.2 renegotiation (default off)
  --max-early-data N         server: 0-RTT (unsupported by crypto/tls)
  --early-data-hex HEX       client: 0-RTT (unsupported by crypto/tls)
  --encrypt-then-mac on|off  TLS 1.2 encrypt_then_mac, RFC 7366 (on: unsupported
                             by crypto/tls; off is what it does)
  --max-fragment-length N    RFC 6066 max_fragment_length (unsupported by crypto/tls)
  --record-size-limit N      RFC 8449 record_size_limit (unsupported by crypto/tls)
  --fd N                     the socket to the harness
`

func version() string { return "Go crypto/tls " + runtime.Version() }

func parseHex(s string, max int) ([]byte, bool) {
	if len(s) == 0 || len(s)%2 != 0 || len(s)/2 > max {
		return nil, false
	}
	b, err := hex.DecodeString(s)
	return b, err == nil
}

func parseOnOff(s string) (bool, bool) {
	switch s {
	case "on":
		return true, true
	case "off":
		return false, true
	}
	return false, false
}

func parseVersion(s string) (uint16, bool) {
	switch s {
	case "1.2":
		return tls12, true
	case "1.3":
		return tls13, true
	}
	return 0, false
}

func parseInt(s string, min, max int64) (int64, bool) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < min || v > max {
		return 0, false
	}
	return v, true
}

// parseArgs: 0 = run, 1 = exit 0 (--help, --version), 2 = usage error.
func parseArgs(args []string, o *options) int {
	prog := "shakedown-shim-go"
	if len(args) > 0 {
		prog = args[0]
	}
	*o = options{minVersion: tls12, maxVersion: tls13, fd: -1}
	haveRole := false
	for i := 1; i < len(args); i++ {
		a := args[i]
		if a == "--help" || a == "-h" {
			fmt.Printf(usageText, prog)
			return 1
		}
		if a == "--version" {
			fmt.Println(version())
			return 1
		}
		if i+1 >= len(args) {
			fmt.Fprintf(os.Stderr, "%s: %s: unknown option or missing value\n", prog, a)
			return 2
		}
		i++
		v := args[i]
		ok := true
		switch a {
		case "--role":
			switch v {
			case "client":
				o.server = false
			case "server":
				o.server = true
			default:
				ok = false
			}
			haveRole = ok
		case "--min-version":
			o.minVersion, ok = parseVersion(v)
		case "--max-version":
			o.maxVersion, ok = parseVersion(v)
		case "--cert":
			o.cert = v
		case "--key":
			o.key = v
		case "--trust":
			o.trust = v
		case "--crl":
			o.crl = v
		case "--crl-issuer":
			o.crlIssuer = v
		case "--server-name":
			o.serverName = v
		case "--time":
			o.time, ok = parseInt(v, 0, 1<<40)
		case "--groups":
			o.groups = v
		case "--ciphers":
			o.ciphers = v
		case "--sigalgs":
			o.sigalgs = v
		case "--client-auth":
			switch v {
			case "none":
				o.clientAuth = authNone
			case "request":
				o.clientAuth = authRequest
			case "require":
				o.clientAuth = authRequire
			default:
				ok = false
			}
		case "--app-reply-hex":
			o.appReply, ok = parseHex(v, maxAppReply)
		case "--session-tickets":
			o.sessionTickets, ok = parseOnOff(v)
		case "--session-cache":
			o.sessionCache, ok = parseOnOff(v)
		case "--resume-session-hex":
			o.resumeSession, ok = parseHex(v, maxSession)
		case "--renegotiation":
			o.renegotiation, ok = parseOnOff(v)
		case "--max-early-data":
			o.maxEarlyData, ok = parseInt(v, 0, maxEarlyData)
		case "--early-data-hex":
			o.earlyData, ok = parseHex(v, maxEarlyData)
		case "--encrypt-then-mac":
			o.encryptThenMac, ok = parseOnOff(v)
		case "--max-fragment-length":
			// RFC 6066 §4: 2^9, 2^10, 2^11 or 2^12 bytes.
			o.maxFragmentLength, ok = parseInt(v, 512, 4096)
			ok = ok && o.maxFragmentLength&(o.maxFragmentLength-1) == 0
		case "--record-size-limit":
			// RFC 8449 §4: 64 to 2^14 + 1.
			o.recordSizeLimit, ok = parseInt(v, 64, 16385)
		case "--fd":
			var n int64
			n, ok = parseInt(v, 0, 1<<20)
			o.fd = int(n)
		default:
			fmt.Fprintf(os.Stderr, "%s: unknown option %s (try --help)\n", prog, a)
			return 2
		}
		if !ok {
			fmt.Fprintf(os.Stderr, "%s: bad value for %s: '%s' (try --help)\n", prog, a, v)
			return 2
		}
	}
	if !haveRole || o.fd < 0 {
		fmt.Fprintf(os.Stderr, "%s: --role and --fd are required (try --help)\n", prog)
		return 2
	}
	if o.minVersion > o.maxVersion {
		fmt.Fprintf(os.Stderr, "%s: --min-version is above --max-version\n", prog)
		return 2
	}
	return 0
}

// ---- Framing ---------------------------------------------------------------

func sendFrame(w io.Writer, typ byte, payload []byte) error {
	h := make([]byte, frameHeaderLen, frameHeaderLen+len(payload))
	h[0] = typ
	binary.BigEndian.PutUint32(h[1:], uint32(len(payload)))
	_, err := w.Write(append(h, payload...))
	return err
}

func sendStatus(w io.Writer, s *status) error { return sendFrame(w, frameStatus, []byte(s.text())) }

// ---- Test hooks --------------------------------------------------------------
// For the harness's own tests only (SHAKEDOWN_SHIM_CRASH_AFTER,
// SHAKEDOWN_SHIM_HANG_AFTER, as in shim_common.c): die by SIGSEGV, or stop
// answering, on the Nth frame received.

func envCount(name string) int64 {
	n, ok := parseInt(os.Getenv(name), 1, 1<<30)
	if !ok {
		return 0
	}
	return n
}

// dieBySIGSEGV ends the process by the default action of SIGSEGV, as a
// memory error in a C stack would: the harness must see a death by that
// signal. The Go runtime catches SIGSEGV, so its disposition goes back to
// SIG_DFL first (rt_sigaction; Go's os/signal cannot restore the default of
// a signal the runtime itself handles).
func dieBySIGSEGV() {
	var act struct {
		handler  uintptr
		flags    uint64
		restorer uintptr
		mask     uint64
	}
	syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(syscall.SIGSEGV), uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0)
	syscall.Kill(os.Getpid(), syscall.SIGSEGV)
	for {
		time.Sleep(time.Second)
	}
}

func testHooks(runNo, frameNo, crashAfter, crashRun, hangAfter int64) {
	if crashAfter > 0 && frameNo >= crashAfter && (crashRun == 0 || runNo == crashRun) {
		dieBySIGSEGV()
	}
	if hangAfter > 0 && frameNo >= hangAfter {
		// A sleeping loop, not select{}: the runtime would call a program
		// whose goroutines all block a deadlock and exit.
		for {
			time.Sleep(time.Hour)
		}
	}
}

// ---- Main loop ---------------------------------------------------------------

func main() { os.Exit(run(os.Args)) }

func run(args []string) int {
	o := &options{}
	switch parseArgs(args, o) {
	case 1:
		return 0
	case 2:
		return exitUsage
	}
	fd := o.fd
	sock := os.NewFile(uintptr(fd), "harness")
	if sock == nil {
		fmt.Fprintf(os.Stderr, "go shim: --fd %d is not open\n", fd)
		return 1
	}
	// A harness that went away ends us through EOF or EPIPE: Go ignores
	// SIGPIPE on descriptors other than 1 and 2 already.

	// Contract: the first frame is a STATUS saying whether the stack could be
	// configured. This shim resets (reset=1 in every STATUS: nothing of
	// crypto/tls outlives its Config), so it stays for a RESET even when
	// it could not.
	sh, first := configure(o)
	if sendStatus(sock, &first) != nil {
		return 1
	}

	crashAfter, hangAfter := envCount("SHAKEDOWN_SHIM_CRASH_AFTER"), envCount("SHAKEDOWN_SHIM_HANG_AFTER")
	crashRun := envCount("SHAKEDOWN_SHIM_CRASH_RUN")
	runNo, frameNo := int64(1), int64(0)
	header := make([]byte, frameHeaderLen)
	for {
		if _, err := io.ReadFull(sock, header); err != nil {
			if err == io.EOF {
				return 0 // the harness closed: done
			}
			return 1
		}
		typ, n := header[0], binary.BigEndian.Uint32(header[1:])
		if n > maxFrame {
			fmt.Fprintf(os.Stderr, "go shim: frame of %d bytes is too big\n", n)
			return exitProtocolErr
		}
		if typ != frameReset {
			frameNo++
			testHooks(runNo, frameNo, crashAfter, crashRun, hangAfter)
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(sock, payload); err != nil {
			return 1
		}
		var reply []byte // one DATA frame before the STATUS, if any
		var st status
		switch {
		case typ == frameReset:
			// A new run from a clean state, as after exec: the old
			// connection's goroutine ends, the Config (ticket keys, session
			// caches) goes with the old shim, and a new one is made from
			// the arguments, answered like the first STATUS of a process.
			if sh != nil {
				sh.retire()
			}
			sh = nil
			runNo, frameNo = runNo+1, 0
			o = &options{}
			if len(payload) > 0 && payload[len(payload)-1] != 0 {
				st = failedStatus("RESET with arguments that do not parse")
				break
			}
			argv := append([]string{args[0]}, strings.Split(string(payload), "\x00")...)
			argv = argv[:len(argv)-1] // after the last NUL: nothing
			if len(payload) == 0 {
				argv = args[:1]
			}
			if parseArgs(argv, o) != 0 {
				st = failedStatus("RESET with arguments that do not parse")
			} else if o.fd != fd {
				st = failedStatus(fmt.Sprintf("RESET with --fd %d; this shim talks on %d", o.fd, fd))
			} else {
				sh, st = configure(o)
			}
		case sh == nil:
			// Not configured: nothing runs, every frame gets that failure.
			st = first
		case typ == frameData:
			reply, st = sh.step(payload)
		case typ == frameStart && n == 0:
			reply, st = sh.step(nil)
		case typ == frameClose && n == 0:
			reply, st = sh.close()
		case typ == frameNext && n == 0:
			st = sh.next()
		case typ == frameSession && n == 0:
			reply, st = sh.session()
		case typ == frameExport && n >= 3 && n <= 2+maxExportLabel:
			want := int(binary.BigEndian.Uint16(payload))
			label := payload[2:]
			if want > 0 && want <= maxExportLen && strings.IndexByte(string(label), 0) < 0 {
				reply = sh.export(string(label), want)
			}
			st = sh.status()
		default:
			fmt.Fprintf(os.Stderr, "go shim: unexpected frame type %d (length %d)\n", typ, n)
			return exitProtocolErr
		}
		if typ == frameReset {
			first = st
		}
		if len(reply) > 0 && sendFrame(sock, frameData, reply) != nil {
			return 1
		}
		if sendStatus(sock, &st) != nil {
			return 1
		}
	}
}

// configure makes the shim of a run from o: it and its first STATUS, or
// nil and a STATUS that says why not.
func configure(o *options) (*shim, status) {
	sh, err := newShim(o)
	if err != nil {
		return nil, failedStatus(err.Error())
	}
	return sh, sh.status()
}

func failedStatus(why string) status {
	st := newStatus()
	st.failed = true
	st.err = why
	return st
}
