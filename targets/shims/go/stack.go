package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"reflect"
	"strings"
	"time"
	"unsafe"
)

// shim is one crypto/tls configuration and its current connection.
type shim struct {
	o   *options
	cfg *tls.Config

	// The connection, driven through p on its own goroutine (pipe.go).
	// Written by that goroutine, read by the main loop only while the
	// goroutine waits on p: the pipe's channels order the two.
	conn          *tls.Conn
	p             *pipe
	handshakeDone bool
	failErr       error
	appReplies    int
	groups        groupScanner

	sessions *keptSessions // client with --session-tickets, else nil
}

// unsupported is a setting crypto/tls cannot honour exactly: refused, never
// approximated (docs/shim-contract.md).
func unsupported(format string, args ...interface{}) error {
	return fmt.Errorf("unsupported: "+format, args...)
}

// keptSessions is the client's session cache (crypto/tls offers tickets
// only with one), remembering whether a session was kept, for SESSION.
type keptSessions struct {
	tls.ClientSessionCache
	kept bool
}

func (k *keptSessions) Put(key string, cs *tls.ClientSessionState) {
	if cs != nil {
		k.kept = true
	}
	k.ClientSessionCache.Put(key, cs)
}

// sessionNotSerializable is SESSION's answer when the client kept a
// session: Go 1.19's ClientSessionState has no serialization (it came in
// Go 1.21, ClientSessionState.ResumptionState), so the session cannot reach
// the next process; the client given these bytes back refuses them as
// unsupported, which makes the run a SKIP with the reason instead of a
// full handshake graded as a failure to resume.
var sessionNotSerializable = []byte("go1.19 crypto/tls: a ClientSessionState cannot be serialized")

// sessionByIDOnly is SESSION's answer after a TLS 1.2 handshake whose
// server named the session (a session id) but gave no ticket: a crypto/tls
// client resumes by session tickets only (RFC 5077; it keeps no session ids,
// handshake_client.go loadSession), so that session cannot be resumed by
// any Go client, and the next client refuses these bytes as unsupported.
var sessionByIDOnly = []byte("go1.19 crypto/tls: a client resumes by session tickets only, not by TLS 1.2 session id")

var groupIDs = map[string]tls.CurveID{
	"secp256r1": tls.CurveP256,
	"secp384r1": tls.CurveP384,
	"secp521r1": tls.CurveP521,
	"x25519":    tls.X25519,
}

var tls13Suites = []uint16{tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384, tls.TLS_CHACHA20_POLY1305_SHA256}

func suiteByName(name string) (*tls.CipherSuite, bool) {
	for _, cs := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		if cs.Name == name {
			return cs, true
		}
	}
	return nil, false
}

func isTLS13Suite(id uint16) bool {
	for _, s := range tls13Suites {
		if s == id {
			return true
		}
	}
	return false
}

// configureCiphers: TLS 1.2 suites go to Config.CipherSuites. Go 1.19
// always enables its three TLS 1.3 suites (Config.CipherSuites does not
// apply to TLS 1.3), and an empty CipherSuites means its defaults, so a
// list that asks for a subset of the TLS 1.3 suites, or for no TLS 1.2
// suite while TLS 1.2 is on, cannot be honoured.
func configureCiphers(o *options, cfg *tls.Config) error {
	var suites12 []uint16
	have13 := map[uint16]bool{}
	for _, name := range strings.Split(o.ciphers, ",") {
		if name == "" {
			continue
		}
		cs, ok := suiteByName(name)
		if !ok {
			return unsupported("cipher suite %s", name)
		}
		if isTLS13Suite(cs.ID) {
			have13[cs.ID] = true
		} else {
			suites12 = append(suites12, cs.ID)
		}
	}
	if o.maxVersion >= tls13 && len(have13) != len(tls13Suites) {
		return unsupported("cipher suites %s: crypto/tls (Go 1.19) always enables all three TLS 1.3 suites", o.ciphers)
	}
	if o.minVersion <= tls12 {
		if len(suites12) == 0 {
			return unsupported("cipher suites %s: crypto/tls cannot disable every TLS 1.2 suite while TLS 1.2 is on", o.ciphers)
		}
		cfg.CipherSuites = suites12
	}
	return nil
}

func readPEMFile(path, what string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s %s: %v", what, path, err)
	}
	return b, nil
}

// loadCRLs parses every "X509 CRL" block of the file.
func loadCRLs(path string) ([]*x509.RevocationList, error) {
	b, err := readPEMFile(path, "the CRL")
	if err != nil {
		return nil, err
	}
	var crls []*x509.RevocationList
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type != "X509 CRL" {
			continue
		}
		crl, err := x509.ParseRevocationList(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("cannot parse the CRL %s: %v", path, err)
		}
		crls = append(crls, crl)
	}
	if len(crls) == 0 {
		return nil, fmt.Errorf("cannot load the CRL %s: no X509 CRL in it", path)
	}
	return crls, nil
}

// revoked applies the CRLs to a verified chain (RFC 5280 §6.3): a
// certificate whose issuer (the next certificate of the chain) has a CRL
// here, signed by that issuer, must not be listed in it; a certificate
// whose issuer has none is not checked. crypto/tls has no CRL support, so
// this is what a careful Go application does in VerifyPeerCertificate.
func revoked(crls []*x509.RevocationList, chain []*x509.Certificate) error {
	for i := 0; i+1 < len(chain); i++ {
		cert, issuer := chain[i], chain[i+1]
		for _, crl := range crls {
			if !bytes.Equal(crl.RawIssuer, cert.RawIssuer) || crl.CheckSignatureFrom(issuer) != nil {
				continue
			}
			for _, rc := range crl.RevokedCertificates {
				if rc.SerialNumber.Cmp(cert.SerialNumber) == 0 {
					return fmt.Errorf("x509: certificate %s (serial %s) is revoked", cert.Subject, cert.SerialNumber)
				}
			}
		}
	}
	return nil
}

func newShim(o *options) (*shim, error) {
	s := &shim{o: o}
	cfg := &tls.Config{MinVersion: o.minVersion, MaxVersion: o.maxVersion}
	s.cfg = cfg

	// What crypto/tls lacks, refused before anything else.
	if o.maxEarlyData > 0 || o.earlyData != nil {
		return nil, unsupported("0-RTT (crypto/tls has no early data)")
	}
	// Nor the TLS extensions of RFC 7366, RFC 6066 §4 and RFC 8449 (no
	// extension code point for them in crypto/tls): without them it never
	// offers them, and a server ignores a client's offer, which is what
	// --encrypt-then-mac off asks.
	if o.encryptThenMac {
		return nil, unsupported("encrypt_then_mac (crypto/tls does not implement RFC 7366)")
	}
	if o.maxFragmentLength != 0 {
		return nil, unsupported("max_fragment_length (crypto/tls does not implement RFC 6066 section 4)")
	}
	if o.recordSizeLimit != 0 {
		return nil, unsupported("record_size_limit (crypto/tls does not implement RFC 8449)")
	}
	// Go 1.19's tls.Config has no list of signature schemes: a client
	// offers its own (crypto/tls's supportedSignatureAlgorithms), a server
	// asks for them in its CertificateRequest.
	if o.sigalgs != "" {
		return nil, unsupported("signature schemes %s (crypto/tls has no setting for them)", o.sigalgs)
	}
	if o.server && o.renegotiation {
		return nil, unsupported("renegotiation as a server (crypto/tls answers a ClientHello after the handshake with no_renegotiation)")
	}
	if !o.server && o.resumeSession != nil {
		if bytes.Equal(o.resumeSession, sessionByIDOnly) {
			return nil, unsupported("resumption by TLS 1.2 session id (a crypto/tls client resumes by session tickets only)")
		}
		return nil, unsupported("resuming a session of another process (Go 1.19's ClientSessionState has no serialization before Go 1.21)")
	}
	if o.server && o.sessionCache && o.minVersion <= tls12 && !o.sessionTickets {
		return nil, unsupported("a TLS 1.2 session cache (a crypto/tls server resumes by session tickets only)")
	}

	// Validate at the harness's time, not the wall clock.
	if o.time != 0 {
		at := time.Unix(o.time, 0)
		cfg.Time = func() time.Time { return at }
	}

	if o.cert != "" {
		key := o.key
		if key == "" {
			key = o.cert
		}
		pair, err := tls.LoadX509KeyPair(o.cert, key)
		if err != nil {
			return nil, fmt.Errorf("cannot load the credential %s: %v", o.cert, err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	} else if o.server {
		return nil, errors.New("a server needs --cert and --key")
	}

	var roots *x509.CertPool
	if o.trust != "" {
		b, err := readPEMFile(o.trust, "the trust anchors")
		if err != nil {
			return nil, err
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("cannot load the trust anchors %s", o.trust)
		}
	}
	var crls []*x509.RevocationList
	if o.crl != "" {
		var err error
		if crls, err = loadCRLs(o.crl); err != nil {
			return nil, err
		}
	}

	if o.server {
		// Client certificates are verified against --trust, with
		// ExtKeyUsage clientAuth (crypto/tls's default for a server).
		switch o.clientAuth {
		case authRequest:
			cfg.ClientAuth = tls.VerifyClientCertIfGiven
		case authRequire:
			cfg.ClientAuth = tls.RequireAndVerifyClientCert
		}
		cfg.ClientCAs = roots
		cfg.SessionTicketsDisabled = !o.sessionTickets
		cfg.Renegotiation = tls.RenegotiateNever
		if crls != nil {
			cfg.VerifyPeerCertificate = func(_ [][]byte, chains [][]*x509.Certificate) error {
				if len(chains) == 0 {
					return nil // no certificate, as --client-auth request allows
				}
				return revoked(crls, chains[0])
			}
		}
	} else {
		cfg.RootCAs = roots
		cfg.ServerName = o.serverName
		if o.serverName != "" {
			// crypto/tls verifies the chain, the name and ExtKeyUsage
			// serverAuth itself; the CRL is ours.
			if crls != nil {
				cfg.VerifyPeerCertificate = func(_ [][]byte, chains [][]*x509.Certificate) error {
					return revoked(crls, chains[0])
				}
			}
		} else {
			// Without a name crypto/tls refuses to verify at all; the chain
			// and the purpose are still verified, here, as crypto/tls would.
			cfg.InsecureSkipVerify = true
			cfg.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
				return verifyWithoutName(cfg, roots, crls, raw)
			}
		}
		if o.renegotiation {
			cfg.Renegotiation = tls.RenegotiateFreelyAsClient
		} else {
			cfg.Renegotiation = tls.RenegotiateNever
		}
		if o.sessionTickets {
			s.sessions = &keptSessions{ClientSessionCache: tls.NewLRUClientSessionCache(8)}
			cfg.ClientSessionCache = s.sessions
		} else {
			cfg.SessionTicketsDisabled = true
		}
	}

	if o.groups != "" {
		for _, name := range strings.Split(o.groups, ",") {
			if name == "" {
				continue
			}
			id, ok := groupIDs[name]
			if !ok {
				return nil, unsupported("group %s", name)
			}
			cfg.CurvePreferences = append(cfg.CurvePreferences, id)
		}
	}
	if o.ciphers != "" {
		if err := configureCiphers(o, cfg); err != nil {
			return nil, err
		}
	}
	s.newConnection()
	return s, nil
}

func verifyWithoutName(cfg *tls.Config, roots *x509.CertPool, crls []*x509.RevocationList, raw [][]byte) error {
	if len(raw) == 0 {
		return errors.New("tls: server sent no certificate")
	}
	certs := make([]*x509.Certificate, len(raw))
	for i, b := range raw {
		c, err := x509.ParseCertificate(b)
		if err != nil {
			return err
		}
		certs[i] = c
	}
	opts := x509.VerifyOptions{Roots: roots, Intermediates: x509.NewCertPool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	if cfg.Time != nil {
		opts.CurrentTime = cfg.Time()
	}
	for _, c := range certs[1:] {
		opts.Intermediates.AddCert(c)
	}
	chains, err := certs[0].Verify(opts)
	if err != nil {
		return err
	}
	return revoked(crls, chains[0])
}

func (s *shim) newConnection() {
	s.p = newPipe()
	if s.o.server {
		s.conn = tls.Server(s.p, s.cfg)
	} else {
		s.conn = tls.Client(s.p, s.cfg)
	}
	s.handshakeDone = false
	s.failErr = nil
	s.appReplies = 0
	s.groups = groupScanner{}
}

// serve is the connection's goroutine: the handshake, then the echo
// contract (docs/shim-contract.md), then the answer to close_notify.
func (s *shim) serve() {
	if err := s.conn.Handshake(); err != nil {
		s.failErr = err
		return
	}
	s.handshakeDone = true
	buf := make([]byte, 16384)
	for {
		n, err := s.conn.Read(buf)
		if n > 0 {
			if answer := s.answer(buf[:n]); answer != nil {
				if _, werr := s.conn.Write(answer); werr != nil {
					s.failErr = werr
					return
				}
			}
		}
		if err == io.EOF {
			// The peer's close_notify: answer with ours (RFC 8446 §6.1).
			s.conn.CloseWrite()
			return
		}
		if err != nil {
			s.failErr = err
			return
		}
	}
}

// answer: the bytes read, or with --app-reply-hex the reply to a read that
// holds a newline and nothing to one without (shim_app_answer).
func (s *shim) answer(data []byte) []byte {
	if s.o.appReply == nil {
		return data
	}
	if bytes.IndexByte(data, '\n') < 0 {
		return nil
	}
	s.appReplies++
	return s.o.appReply
}

func (s *shim) step(data []byte) ([]byte, status) {
	if !s.o.server {
		s.groups.scan(data)
	}
	s.p.feed(data)
	s.p.run(s.serve)
	out := s.p.take()
	if s.o.server {
		s.groups.scan(out)
	}
	return out, s.status()
}

// close: our close_notify once the handshake is done, unless the
// connection failed or already sent one.
func (s *shim) close() ([]byte, status) {
	st := s.status()
	if st.handshakeDone && !st.failed && !st.closeNotifySent {
		s.conn.CloseWrite()
	}
	return s.p.take(), s.status()
}

// next: a new connection on the same Config, which keeps crypto/tls's
// session ticket keys. The old connection's goroutine ends first (retire).
func (s *shim) next() status {
	s.retire()
	s.newConnection()
	return s.status()
}

// retire ends the current connection's goroutine, if it waits for input:
// its pipe says end of input, so crypto/tls gives up (or answers as to a
// peer that closed, into the pipe that nobody reads any more), and the
// goroutine returns. Otherwise a process that runs many connections (NEXT)
// and many runs (RESET) would keep one waiting goroutine for each.
func (s *shim) retire() {
	if s.p == nil || !s.p.started || s.p.finished {
		return
	}
	s.p.Close()
	s.p.run(s.serve)
}

func (s *shim) session() ([]byte, status) {
	var b []byte
	if !s.o.server && s.handshakeDone && s.failErr == nil {
		vers := uint16(connField(s.conn, "vers").Uint())
		if s.sessions != nil && s.sessions.kept {
			b = sessionNotSerializable
		} else if vers == tls12 && len(s.groups.sessionID) > 0 {
			b = sessionByIDOnly
		}
	}
	return b, s.status()
}

func (s *shim) export(label string, n int) []byte {
	if !s.handshakeDone || s.failErr != nil {
		return nil
	}
	// ConnectionState().ExportKeyingMaterial would take the handshake
	// mutex, which a renegotiating connection's goroutine may hold while it
	// waits for input; the exporter function itself does not need it.
	ekm, _ := connField(s.conn, "ekm").Interface().(func(string, []byte, int) ([]byte, error))
	if ekm == nil {
		return nil
	}
	out, err := ekm(label, nil, n)
	if err != nil || len(out) != n {
		return nil
	}
	return out
}

// connField reads an unexported field of the connection. crypto/tls keeps
// the alerts it sent and received, the version and the suite in fields
// that only ConnectionState (under the handshake mutex, which the
// goroutine holds while it waits for input mid-handshake) or nothing at all
// exposes. They are read only while that goroutine waits on the pipe.
func connField(c *tls.Conn, path ...string) reflect.Value {
	v := reflect.ValueOf(c).Elem()
	for _, name := range path {
		v = v.FieldByName(name)
	}
	return reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem()
}

// alertOf: crypto/tls records the alert it sent as the write side's error,
// net.OpError{Op: "local error", Err: alert}, and a fatal alert it received
// as the read side's, Op "remote error". Warning alerts other than
// close_notify are dropped unrecorded in TLS 1.2 (conn.go,
// readRecordOrCCS), so they never show here.
func alertOf(err error, op string) (int, bool) {
	var oe *net.OpError
	if err == nil || !errors.As(err, &oe) || oe.Op != op || oe.Err == nil {
		return 0, false
	}
	v := reflect.ValueOf(oe.Err)
	if v.Kind() != reflect.Uint8 || v.Type().Name() != "alert" {
		return 0, false
	}
	return int(v.Uint()), true
}

const alertNoRenegotiation = 100

func (s *shim) status() status {
	st := newStatus()
	st.handshakeDone = s.handshakeDone
	if s.failErr != nil {
		st.failed = true
		st.err = s.failErr.Error()
	}
	outErr, _ := connField(s.conn, "out", "err").Interface().(error)
	if a, ok := alertOf(outErr, "local error"); ok {
		st.alertSent = a
		// crypto/tls sends no_renegotiation as a warning, every other alert
		// but close_notify as fatal (conn.go, sendAlertLocked).
		st.alertSentLevel = 2
		if a == alertNoRenegotiation {
			st.alertSentLevel = 1
		}
	}
	inErr, _ := connField(s.conn, "in", "err").Interface().(error)
	if a, ok := alertOf(inErr, "remote error"); ok {
		st.alertReceived = a
	}
	st.closeNotifySent = connField(s.conn, "closeNotifySent").Bool()
	if connField(s.conn, "haveVers").Bool() {
		st.version = uint16(connField(s.conn, "vers").Uint())
	}
	st.cipher = uint16(connField(s.conn, "cipherSuite").Uint())
	st.group = s.groups.group
	// Either role: the peer's chain was verified and its CertificateVerify
	// checked. A server only ever verifies what it asks for
	// (VerifyClientCertIfGiven, RequireAndVerifyClientCert), so a chain
	// kept is a chain verified.
	st.peerAuthenticated = s.handshakeDone && connField(s.conn, "peerCertificates").Len() > 0
	st.appReplies = s.appReplies
	return st
}
