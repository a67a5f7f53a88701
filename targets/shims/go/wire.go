package main

// Go 1.19's ConnectionState has no negotiated group (it came in Go 1.24),
// so the STATUS key `group` is read from the server's plaintext flight, the
// same bytes the harness sees: the key_share of the TLS 1.3 ServerHello
// (RFC 8446 §4.2.8; a HelloRetryRequest's selected_group is overridden by
// the ServerHello after it) or the named_curve of the TLS 1.2
// ServerKeyExchange (RFC 8422 §5.4). A server scans what it writes, a
// client what it reads. The scan stops at the first ChangeCipherSpec or
// encrypted record, after which handshake records are no longer plaintext.
//
// It also keeps the ServerHello's session_id, which says whether a TLS 1.2
// server named the session (for SESSION, stack.go).
type groupScanner struct {
	buf       []byte // a record not complete yet
	hs        []byte // handshake messages not complete yet
	done      bool
	group     uint16
	sessionID []byte // the last ServerHello's legacy_session_id / session_id
}

const (
	recordChangeCipherSpec = 20
	recordHandshake        = 22
	recordApplicationData  = 23
	hsServerHello          = 2
	hsServerKeyExchange    = 12
	extKeyShare            = 51
	curveTypeNamed         = 3
)

func (g *groupScanner) scan(b []byte) {
	if g.done {
		return
	}
	g.buf = append(g.buf, b...)
	for len(g.buf) >= 5 && !g.done {
		n := int(g.buf[3])<<8 | int(g.buf[4])
		if len(g.buf) < 5+n {
			return
		}
		typ, body := g.buf[0], g.buf[5:5+n]
		g.buf = g.buf[5+n:]
		switch typ {
		case recordHandshake:
			g.hs = append(g.hs, body...)
			g.messages()
		case recordChangeCipherSpec, recordApplicationData:
			g.done = true
		}
	}
}

func (g *groupScanner) messages() {
	for len(g.hs) >= 4 {
		n := int(g.hs[1])<<16 | int(g.hs[2])<<8 | int(g.hs[3])
		if len(g.hs) < 4+n {
			return
		}
		typ, body := g.hs[0], g.hs[4:4+n]
		g.hs = g.hs[4+n:]
		switch typ {
		case hsServerHello:
			if len(body) >= 35 && len(body) >= 35+int(body[34]) {
				g.sessionID = append([]byte(nil), body[35:35+int(body[34])]...)
			}
			if grp, ok := serverHelloKeyShare(body); ok {
				g.group = grp
			}
		case hsServerKeyExchange:
			if len(body) >= 3 && body[0] == curveTypeNamed {
				g.group = uint16(body[1])<<8 | uint16(body[2])
			}
		}
	}
}

// serverHelloKeyShare: the group of a ServerHello's key_share extension
// (RFC 8446 §4.1.3), which begins with it in a ServerHello and a
// HelloRetryRequest alike.
func serverHelloKeyShare(b []byte) (uint16, bool) {
	// legacy_version(2) random(32) session_id<0..32>
	if len(b) < 35 {
		return 0, false
	}
	p := 34
	p += 1 + int(b[p])
	// cipher_suite(2) legacy_compression_method(1) extensions<..>
	p += 3
	if len(b) < p+2 {
		return 0, false
	}
	end := p + 2 + (int(b[p])<<8 | int(b[p+1]))
	p += 2
	if end > len(b) {
		return 0, false
	}
	for p+4 <= end {
		typ := int(b[p])<<8 | int(b[p+1])
		n := int(b[p+2])<<8 | int(b[p+3])
		p += 4
		if p+n > end {
			return 0, false
		}
		if typ == extKeyShare && n >= 2 {
			return uint16(b[p])<<8 | uint16(b[p+1]), true
		}
		p += n
	}
	return 0, false
}
