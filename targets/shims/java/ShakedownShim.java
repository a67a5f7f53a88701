// shakedown-shim-jsse puts Java's JSSE (OpenJDK 17) behind the shim contract
// (docs/shim-contract.md): the same flags, frames and STATUS keys as the C
// shims (targets/shims/shim_common.c) and the Go one (targets/shims/go).
// Standard library only; no JNI.
//
// The JVM cannot take over an inherited socket descriptor by number, so the
// launcher (shakedown-shim-jsse, made by targets/shims/CMakeLists.txt) makes
// the harness's socket (--fd N) the JVM's stdin and stdout, which
// FileDescriptor.in and .out read and write with plain read(2)/write(2):
// that works on a socket as on a pipe. (Opening /proc/self/fd/N does not:
// Linux refuses to open a socket through /proc with ENXIO.) System.out is
// pointed at stderr so that nothing printed can reach the protocol.
//
// The stack runs through SSLEngine (wrap/unwrap over byte buffers): the
// contract's memory I/O exactly, with no threads.
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CRL;
import java.security.cert.CertPathValidator;
import java.security.cert.CertStore;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.PKIXRevocationChecker;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import javax.net.ssl.CertPathTrustManagerParameters;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

public final class ShakedownShim {
    // Frame types (harness/shim/shim_protocol.h).
    static final int FRAME_START = 1, FRAME_DATA = 2, FRAME_STATUS = 3, FRAME_EXPORT = 4, FRAME_CLOSE = 5,
                     FRAME_NEXT = 6, FRAME_SESSION = 7, FRAME_RESET = 8;
    static final int MAX_FRAME = 1 << 24, MAX_EXPORT_LABEL = 255, MAX_APP_REPLY = 16384, MAX_SESSION = 32768,
                     MAX_EARLY_DATA = 16384;
    static final int TLS12 = 0x0303, TLS13 = 0x0304;
    static final int EXIT_USAGE = 2, EXIT_PROTOCOL = 3;

    // ---- Options -------------------------------------------------------------

    static final class Options {
        boolean server;
        int minVersion = TLS12, maxVersion = TLS13;
        String cert, key, trust, crl, crlIssuer, serverName;
        long time;
        String groups, ciphers, sigalgs;
        String clientAuth = "none";
        byte[] appReply, resumeSession, earlyData;
        boolean sessionTickets, sessionCache, renegotiation;
        long maxEarlyData;
        /** --encrypt-then-mac, --max-fragment-length, --record-size-limit: given at all. */
        String recordExtension;
        int fd = -1;
    }

    static final class UsageError extends Exception {
        private static final long serialVersionUID = 1;
        UsageError(String m) { super(m); }
    }

    static byte[] parseHex(String s, int max) throws UsageError {
        if (s.isEmpty() || s.length() % 2 != 0 || s.length() / 2 > max) throw new UsageError("bad hex");
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) {
            int hi = Character.digit(s.charAt(2 * i), 16), lo = Character.digit(s.charAt(2 * i + 1), 16);
            if (hi < 0 || lo < 0) throw new UsageError("bad hex");
            b[i] = (byte)(hi << 4 | lo);
        }
        return b;
    }

    static boolean parseOnOff(String v) throws UsageError {
        if (v.equals("on")) return true;
        if (v.equals("off")) return false;
        throw new UsageError("on or off");
    }

    static int parseVersion(String v) throws UsageError {
        if (v.equals("1.2")) return TLS12;
        if (v.equals("1.3")) return TLS13;
        throw new UsageError("1.2 or 1.3");
    }

    static long parseLong(String v, long min, long max) throws UsageError {
        try {
            long n = Long.parseLong(v);
            if (n < min || n > max) throw new UsageError("out of range");
            return n;
        } catch (NumberFormatException e) {
            throw new UsageError("not a number");
        }
    }

    /** The options of args (after the program name); null after --help or --version (printed). */
    static Options parseArgs(String[] args) throws UsageError {
        Options o = new Options();
        boolean haveRole = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help") || a.equals("-h")) {
                System.err.println("usage: shakedown-shim-jsse --fd N --role client|server [options]"
                                   + " (the flags of docs/shim-contract.md)");
                return null;
            }
            if (a.equals("--version")) return null;
            if (i + 1 >= args.length) throw new UsageError(a + ": unknown option or missing value");
            String v = args[++i];
            try {
                switch (a) {
                case "--role":
                    if (!v.equals("client") && !v.equals("server")) throw new UsageError("client or server");
                    o.server = v.equals("server");
                    haveRole = true;
                    break;
                case "--min-version": o.minVersion = parseVersion(v); break;
                case "--max-version": o.maxVersion = parseVersion(v); break;
                case "--cert": o.cert = v; break;
                case "--key": o.key = v; break;
                case "--trust": o.trust = v; break;
                case "--crl": o.crl = v; break;
                case "--crl-issuer": o.crlIssuer = v; break;
                case "--server-name": o.serverName = v; break;
                case "--time": o.time = parseLong(v, 0, 1L << 40); break;
                case "--groups": o.groups = v; break;
                case "--ciphers": o.ciphers = v; break;
                case "--sigalgs": o.sigalgs = v; break;
                case "--client-auth":
                    if (!v.equals("none") && !v.equals("request") && !v.equals("require"))
                        throw new UsageError("none, request or require");
                    o.clientAuth = v;
                    break;
                case "--app-reply-hex": o.appReply = parseHex(v, MAX_APP_REPLY); break;
                case "--session-tickets": o.sessionTickets = parseOnOff(v); break;
                case "--session-cache": o.sessionCache = parseOnOff(v); break;
                case "--resume-session-hex": o.resumeSession = parseHex(v, MAX_SESSION); break;
                case "--renegotiation": o.renegotiation = parseOnOff(v); break;
                case "--max-early-data": o.maxEarlyData = parseLong(v, 0, MAX_EARLY_DATA); break;
                case "--early-data-hex": o.earlyData = parseHex(v, MAX_EARLY_DATA); break;
                case "--fd": o.fd = (int)parseLong(v, 0, 1 << 20); break;
                case "--encrypt-then-mac":
                case "--max-fragment-length":
                case "--record-size-limit": o.recordExtension = a.substring(2); break;
                default: throw new UsageError("unknown option " + a);
                }
            } catch (UsageError e) {
                if (e.getMessage().startsWith("unknown option")) throw e;
                throw new UsageError("bad value for " + a + ": '" + v + "' (" + e.getMessage() + ")");
            }
        }
        if (!haveRole || o.fd < 0) throw new UsageError("--role and --fd are required");
        if (o.minVersion > o.maxVersion) throw new UsageError("--min-version is above --max-version");
        return o;
    }

    static String version() {
        return "Java JSSE (" + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
            + ")";
    }

    // ---- Process-wide settings -------------------------------------------------
    //
    // JSSE 17 reads these system properties once, into static fields, when its
    // classes are first used (SupportedGroups, SSLConfiguration,
    // ServerHandshakeContext): the groups and signature schemes have no
    // per-SSLParameters setting before Java 19 and 20. So they are fixed for
    // the process by its first run; a RESET that needs other values ends the
    // process instead of answering (exit on RESET), and the harness starts a
    // new one in its place (docs/shim-contract.md, "Persistent shims": a kept
    // shim that dies on RESET is dropped without a word).

    /** The process-wide properties a run needs; a key it leaves out is one
     * the run never reads (JSSE reads the client's and the server's
     * settings in that role only), so that a JVM serves runs of both roles. */
    static Map<String, String> processProperties(Options o) {
        Map<String, String> p = new LinkedHashMap<>();
        // The shim's names are IANA's (RFC 8446 §4.2.7, RFC 7919), which are
        // JSSE's names too.
        p.put("jdk.tls.namedGroups", o.groups);
        if (o.server) {
            // A server lists its own in CertificateRequest (and signs with
            // one of them too), and refuses a renegotiation its client
            // starts unless asked.
            p.put("jdk.tls.server.SignatureSchemes", o.sigalgs);
            p.put("jdk.tls.rejectClientInitiatedRenegotiation", o.renegotiation ? null : "true");
        } else {
            // A client offers its list in signature_algorithms.
            p.put("jdk.tls.client.SignatureSchemes", o.sigalgs);
        }
        return p;
    }

    /** Whether this JVM's fixed properties serve a run that needs these. */
    static boolean fits(Map<String, String> needed) {
        for (Map.Entry<String, String> e : needed.entrySet())
            if (!Objects.equals(e.getValue(), fixedProperties.get(e.getKey()))) return false;
        return true;
    }

    static Map<String, String> fixedProperties; // of this process, once set

    /** Fixes the properties for the process: the run's, and JSSE's
     * defaults (unset) for those of the other role. */
    static void setProcessProperties(Map<String, String> p) {
        Map<String, String> all = new LinkedHashMap<>();
        for (String k : new String[] {"jdk.tls.namedGroups", "jdk.tls.client.SignatureSchemes",
                                      "jdk.tls.server.SignatureSchemes", "jdk.tls.rejectClientInitiatedRenegotiation"})
            all.put(k, p.get(k));
        for (Map.Entry<String, String> e : all.entrySet()) {
            if (e.getValue() == null)
                System.clearProperty(e.getKey());
            else
                System.setProperty(e.getKey(), e.getValue());
        }
        fixedProperties = all;
    }

    // ---- Alerts ----------------------------------------------------------------
    //
    // SSLEngine tells an alert it sent or received only in its debug log: an
    // SSLException's message is its diagnostic, not the alert, except for a
    // fatal alert received ("Received fatal alert: NAME"). With
    // javax.net.debug set to the empty string JSSE logs through
    // System.Logger "javax.net.ssl", which the JDK bridges to
    // java.util.logging; a handler there reads the two lines that name an
    // alert: "Fatal (NAME): diagnostic" (TransportContext.fatal, before it
    // sends that alert, or on a fatal alert received, whose diagnostic then
    // begins "Received fatal alert") and "Received alert message" with the
    // alert's level and description (Alert.AlertConsumer, warnings included).
    // A warning JSSE sends (TransportContext.warning) is not logged: see
    // docs/shim-contract.md.

    static final Map<String, Integer> ALERTS = new LinkedHashMap<>();
    static {
        String[] names = {"close_notify:0", "unexpected_message:10", "bad_record_mac:20", "decryption_failed:21",
                          "record_overflow:22", "decompression_failure:30", "handshake_failure:40",
                          "no_certificate:41", "bad_certificate:42", "unsupported_certificate:43",
                          "certificate_revoked:44", "certificate_expired:45", "certificate_unknown:46",
                          "illegal_parameter:47", "unknown_ca:48", "access_denied:49", "decode_error:50",
                          "decrypt_error:51", "export_restriction:60", "protocol_version:70",
                          "insufficient_security:71", "internal_error:80", "inappropriate_fallback:86",
                          "user_canceled:90", "no_renegotiation:100", "missing_extension:109",
                          "unsupported_extension:110", "certificate_unobtainable:111", "unrecognized_name:112",
                          "bad_certificate_status_response:113", "bad_certificate_hash_value:114",
                          "unknown_psk_identity:115", "certificate_required:116", "no_application_protocol:120"};
        for (String n : names) {
            int c = n.indexOf(':');
            ALERTS.put(n.substring(0, c), Integer.parseInt(n.substring(c + 1)));
        }
    }

    static int alertCode(String name) {
        Integer c = ALERTS.get(name.trim().toLowerCase(Locale.ROOT));
        return c == null ? -1 : c;
    }

    /** The current connection, whose alerts the log handler records. */
    static Connection current;

    static final class AlertLog extends Handler {
        @Override
        public void publish(LogRecord r) {
            Connection c = current;
            String m = r.getMessage();
            if (c == null || m == null) return;
            if (m.startsWith("Fatal (")) {
                int end = m.indexOf("): ");
                if (end < 0) return;
                int code = alertCode(m.substring(7, end));
                if (code < 0) return;
                if (m.startsWith("Received fatal alert", end + 3))
                    c.alertReceived = code;
                else
                    c.fatalPending = code; // sent if its record leaves (Connection.flush)
            } else if (m.startsWith("Received alert message")) {
                Object[] ps = r.getParameters();
                String p = ps != null && ps.length > 0 ? String.valueOf(ps[0]) : "";
                int d = p.indexOf("\"description\"");
                if (d < 0) return;
                int q1 = p.indexOf('"', p.indexOf(':', d) + 1), q2 = q1 < 0 ? -1 : p.indexOf('"', q1 + 1);
                if (q2 < 0) return;
                int code = alertCode(p.substring(q1 + 1, q2));
                if (code > 0) c.alertReceived = code; // close_notify is not an alert here
            }
        }
        @Override
        public void flush() {}
        @Override
        public void close() {}
    }

    static Logger jsseLog; // held: java.util.logging keeps loggers weakly

    static void listenForAlerts() {
        System.setProperty("javax.net.debug", "");
        jsseLog = Logger.getLogger("javax.net.ssl");
        jsseLog.setUseParentHandlers(false);
        // FINE: "Received alert message" is logged at DEBUG.
        jsseLog.setLevel(Level.FINE);
        jsseLog.addHandler(new AlertLog());
    }

    // ---- Names -----------------------------------------------------------------

    // IANA code points of the suites the scenarios use (shim_protocol.c):
    // JSSE's names of these suites are IANA's.
    static final Map<String, Integer> SUITES = new LinkedHashMap<>();
    static {
        Object[] t = {"TLS_AES_128_GCM_SHA256", 0x1301, "TLS_AES_256_GCM_SHA384", 0x1302,
                      "TLS_CHACHA20_POLY1305_SHA256", 0x1303, "TLS_RSA_WITH_AES_128_CBC_SHA", 0x002f,
                      "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", 0x0033, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", 0x009e,
                      "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", 0x009f, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 0xc013,
                      "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", 0xccaa,
                      "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 0xc009,
                      "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0xc02b,
                      "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 0xc02c,
                      "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xc02f, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", 0xc030,
                      "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", 0xcca8,
                      "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", 0xcca9,
                      "TLS_RSA_WITH_AES_128_GCM_SHA256", 0x009c, "TLS_RSA_WITH_AES_256_GCM_SHA384", 0x009d,
                      "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", 0xc028, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", 0xc024,
                      "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", 0xc027, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", 0xc023,
                      "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", 0xc014, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", 0xc00a,
                      "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", 0x0039, "TLS_RSA_WITH_AES_256_CBC_SHA", 0x0035};
        for (int i = 0; i < t.length; i += 2) SUITES.put((String)t[i], (Integer)t[i + 1]);
    }

    static final Set<String> GROUPS = new HashSet<>(Arrays.asList(
        "secp256r1", "secp384r1", "secp521r1", "x25519", "x448", "ffdhe2048", "ffdhe3072", "ffdhe4096", "ffdhe6144",
        "ffdhe8192"));

    // The schemes JSSE 17 implements (sun.security.ssl.SignatureScheme) of
    // those the shims name (shim_sigalg_name).
    static final Set<String> SIGALGS = new HashSet<>(Arrays.asList(
        "rsa_pkcs1_sha256", "rsa_pkcs1_sha384", "rsa_pkcs1_sha512", "ecdsa_secp256r1_sha256", "ecdsa_secp384r1_sha384",
        "ecdsa_secp521r1_sha512", "rsa_pss_rsae_sha256", "rsa_pss_rsae_sha384", "rsa_pss_rsae_sha512", "ed25519",
        "rsa_pss_pss_sha256", "rsa_pkcs1_sha1", "ecdsa_sha1"));

    static final class Unsupported extends Exception {
        private static final long serialVersionUID = 1;
        Unsupported(String m) { super("unsupported: " + m); }
    }

    static List<String> names(String list) {
        List<String> out = new ArrayList<>();
        if (list != null)
            for (String n : list.split(","))
                if (!n.isEmpty()) out.add(n);
        return out;
    }

    // ---- Credentials -----------------------------------------------------------

    /** The DER of every PEM block of file whose label is one of labels. */
    static List<byte[]> pemBlocks(String file, String... labels) throws IOException {
        String text = new String(Files.readAllBytes(Paths.get(file)), StandardCharsets.US_ASCII);
        List<byte[]> out = new ArrayList<>();
        int at = 0;
        while (true) {
            int begin = text.indexOf("-----BEGIN ", at);
            if (begin < 0) break;
            int labelEnd = text.indexOf("-----", begin + 11);
            if (labelEnd < 0) break;
            String label = text.substring(begin + 11, labelEnd);
            String endMark = "-----END " + label + "-----";
            int end = text.indexOf(endMark, labelEnd);
            if (end < 0) break;
            if (Arrays.asList(labels).contains(label))
                out.add(Base64.getMimeDecoder().decode(text.substring(labelEnd + 5, end)));
            at = end + endMark.length();
        }
        return out;
    }

    static List<X509Certificate> loadCerts(String file, String what) throws IOException {
        List<X509Certificate> out = new ArrayList<>();
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            for (byte[] der : pemBlocks(file, "CERTIFICATE"))
                out.add((X509Certificate)cf.generateCertificate(new ByteArrayInputStream(der)));
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("cannot parse " + what + " " + file + ": " + e.getMessage());
        }
        if (out.isEmpty()) throw new IOException("no certificate in " + what + " " + file);
        return out;
    }

    /** A PKCS #8 key ("PRIVATE KEY", the fixture PKI's form), of the leaf's key algorithm. */
    static PrivateKey loadKey(String file, X509Certificate leaf) throws IOException {
        List<byte[]> der = pemBlocks(file, "PRIVATE KEY");
        if (der.isEmpty()) throw new IOException("no PKCS #8 PRIVATE KEY in " + file);
        String alg = leaf.getPublicKey().getAlgorithm();
        try {
            return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der.get(0)));
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("cannot load the " + alg + " key " + file + ": " + e.getMessage());
        }
    }

    /** Verification of the peer (docs/shim-contract.md): the chain to --trust
     * at --time (PKIX), with the CRLs of --crl (RFC 5280 §6.3) and no OCSP;
     * the name and the extended key usage are JSSE's own checks (the
     * endpoint identification of SSLParameters; X509TrustManagerImpl's
     * serverAuth or clientAuth). */
    static TrustManager[] trustManagers(Options o) throws Exception {
        if (o.trust == null) return null;
        Set<TrustAnchor> anchors = new HashSet<>();
        for (X509Certificate c : loadCerts(o.trust, "the trust anchors")) anchors.add(new TrustAnchor(c, null));
        PKIXBuilderParameters params = new PKIXBuilderParameters(anchors, null);
        if (o.time != 0) params.setDate(new Date(o.time * 1000));
        if (o.crl != null) {
            List<CRL> crls = new ArrayList<>();
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            for (byte[] der : pemBlocks(o.crl, "X509 CRL")) crls.add(cf.generateCRL(new ByteArrayInputStream(der)));
            if (crls.isEmpty()) throw new IOException("cannot load the CRL " + o.crl + ": no X509 CRL in it");
            params.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(crls)));
            // CRLs only (NO_FALLBACK: never OCSP), and a certificate whose
            // issuer has no CRL here is not checked (SOFT_FAIL: revocation
            // undetermined is no failure; a listed serial still is).
            PKIXRevocationChecker rc =
                (PKIXRevocationChecker)CertPathValidator.getInstance("PKIX").getRevocationChecker();
            rc.setOptions(EnumSet.of(PKIXRevocationChecker.Option.PREFER_CRLS,
                                     PKIXRevocationChecker.Option.NO_FALLBACK,
                                     PKIXRevocationChecker.Option.SOFT_FAIL));
            params.addCertPathChecker(rc);
            params.setRevocationEnabled(false); // the checker above is the revocation check
        } else {
            params.setRevocationEnabled(false);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(new CertPathTrustManagerParameters(params));
        return tmf.getTrustManagers();
    }

    // ---- A run: one configuration, its connections -----------------------------------

    static final class Run {
        final Options o;
        final SSLContext ctx;
        Connection conn;

        Run(Options o) throws Exception {
            this.o = o;
            // What JSSE lacks, refused before anything else.
            if (o.maxEarlyData > 0 || o.earlyData != null)
                throw new Unsupported("0-RTT (JSSE has no early data)");
            // RFC 7366 and RFC 8449 are not in JSSE 17; its max_fragment_length
            // (RFC 6066 §4) is a process-wide property this shim does not set.
            if (o.recordExtension != null)
                throw new Unsupported(o.recordExtension + " (JSSE 17 has no encrypt-then-MAC or record_size_limit, "
                                      + "and the shim does not set max_fragment_length)");
            if (!o.server && o.resumeSession != null)
                throw new Unsupported("resuming a session of another process (JSSE cannot serialize an SSLSession)");
            for (String g : names(o.groups))
                if (!GROUPS.contains(g)) throw new Unsupported("group " + g);
            for (String s : names(o.sigalgs))
                if (!SIGALGS.contains(s)) throw new Unsupported("signature scheme " + s);
            for (String c : names(o.ciphers))
                if (!SUITES.containsKey(c)) throw new Unsupported("cipher suite " + c);

            javax.net.ssl.KeyManager[] kms = null;
            if (o.cert != null) {
                List<X509Certificate> chain = loadCerts(o.cert, "the credential");
                PrivateKey key = loadKey(o.key != null ? o.key : o.cert, chain.get(0));
                kms = new javax.net.ssl.KeyManager[] {new OneCredential(key, chain.toArray(new X509Certificate[0]))};
            } else if (o.server) {
                throw new IOException("a server needs --cert and --key");
            }
            TrustManager[] tms = trustManagers(o);
            if (tms == null) tms = new TrustManager[] {new TrustNothing()};
            // RFC 5077 tickets in TLS 1.2, both sides: JSSE reads these two
            // properties when it makes an SSLContext's session contexts, so
            // they hold for this context only (TLS 1.3 tickets: below).
            String tickets = o.sessionTickets ? "true" : "false";
            System.setProperty("jdk.tls.server.enableSessionTicketExtension", tickets);
            System.setProperty("jdk.tls.client.enableSessionTicketExtension", tickets);
            ctx = SSLContext.getInstance("TLS");
            ctx.init(kms, tms, null);
            if (o.server) {
                // TLS 1.3 tickets (RFC 8446 §4.6.1): JSSE 17 has no switch
                // for them, but sends none when the session timeout is above
                // the 7 days a ticket may live (NewSessionTicket.java: "No
                // session ticket produced: session timeout"); a TLS 1.2
                // session cache lives as long anyway (the run).
                if (!o.sessionTickets) ctx.getServerSessionContext().setSessionTimeout(604800 + 1);
            }
            conn = new Connection(this);
        }
    }

    /** The one credential of --cert and --key, offered whenever its key fits
     * what JSSE asks for: a key manager of JSSE's own would need a KeyStore,
     * whose PKCS #12 entry costs two password-based key derivations (tens of
     * milliseconds) on every RESET. A client offers it whatever CAs the
     * CertificateRequest names, as the other shims' clients do. */
    static final class OneCredential extends javax.net.ssl.X509ExtendedKeyManager {
        static final String ALIAS = "credential";
        final PrivateKey key;
        final X509Certificate[] chain;

        OneCredential(PrivateKey key, X509Certificate[] chain) {
            this.key = key;
            this.chain = chain;
        }

        /** JSSE names key types by algorithm ("EC", "RSA", "RSASSA-PSS", "EdDSA"). */
        boolean fits(String keyType) {
            String alg = chain[0].getPublicKey().getAlgorithm();
            return keyType != null && (keyType.equals(alg) || (keyType.startsWith(alg + "_")));
        }

        String pick(String[] keyTypes) {
            if (keyTypes != null)
                for (String t : keyTypes)
                    if (fits(t)) return ALIAS;
            return null;
        }

        public String[] getClientAliases(String keyType, java.security.Principal[] issuers) {
            return fits(keyType) ? new String[] {ALIAS} : null;
        }
        public String[] getServerAliases(String keyType, java.security.Principal[] issuers) {
            return fits(keyType) ? new String[] {ALIAS} : null;
        }
        public String chooseClientAlias(String[] keyTypes, java.security.Principal[] issuers, java.net.Socket s) {
            return pick(keyTypes);
        }
        public String chooseServerAlias(String keyType, java.security.Principal[] issuers, java.net.Socket s) {
            return fits(keyType) ? ALIAS : null;
        }
        @Override
        public String chooseEngineClientAlias(String[] keyTypes, java.security.Principal[] issuers, SSLEngine e) {
            return pick(keyTypes);
        }
        @Override
        public String chooseEngineServerAlias(String keyType, java.security.Principal[] issuers, SSLEngine e) {
            return fits(keyType) ? ALIAS : null;
        }
        public X509Certificate[] getCertificateChain(String alias) {
            return ALIAS.equals(alias) ? chain.clone() : null;
        }
        public PrivateKey getPrivateKey(String alias) { return ALIAS.equals(alias) ? key : null; }
    }

    /** A client without --trust verifies against nothing, so refuses every server. */
    static final class TrustNothing implements X509TrustManager {
        public void checkClientTrusted(X509Certificate[] c, String a) throws java.security.cert.CertificateException {
            throw new java.security.cert.CertificateException("no trust anchors (--trust)");
        }
        public void checkServerTrusted(X509Certificate[] c, String a) throws java.security.cert.CertificateException {
            throw new java.security.cert.CertificateException("no trust anchors (--trust)");
        }
        public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
    }

    // ---- A connection ------------------------------------------------------------

    static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    static final class Connection {
        final Run run;
        final Options o;
        final SSLEngine engine;
        ByteBuffer netIn = ByteBuffer.allocate(1 << 15); // read mode after each feed
        ByteBuffer appIn, netOut;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean started, handshakeDone, failed, closeNotifySent, peerAuthenticated;
        String error = "";
        int alertSent = -1, alertSentLevel = -1, alertReceived = -1, fatalPending = -1;
        int version, cipher, appReplies;
        final GroupScanner groups = new GroupScanner();

        Connection(Run run) throws Exception {
            this.run = run;
            this.o = run.o;
            SSLContext ctx = run.ctx;
            engine = o.server || o.serverName == null ? ctx.createSSLEngine()
                                                      : ctx.createSSLEngine(o.serverName, 443);
            engine.setUseClientMode(!o.server);
            SSLParameters p = engine.getSSLParameters();
            List<String> protocols = new ArrayList<>();
            if (o.minVersion <= TLS12) protocols.add("TLSv1.2");
            if (o.maxVersion >= TLS13) protocols.add("TLSv1.3");
            p.setProtocols(protocols.toArray(new String[0]));
            if (o.ciphers != null) {
                p.setCipherSuites(names(o.ciphers).toArray(new String[0]));
                // A server picks by its own order (the list's).
                p.setUseCipherSuitesOrder(true);
            }
            if (o.server) {
                if (o.clientAuth.equals("require"))
                    p.setNeedClientAuth(true);
                else if (o.clientAuth.equals("request"))
                    p.setWantClientAuth(true);
            } else if (o.serverName != null) {
                p.setServerNames(List.of(new SNIHostName(o.serverName)));
                // The leaf must carry the name (RFC 6125, as HTTPS does).
                p.setEndpointIdentificationAlgorithm("HTTPS");
            }
            engine.setSSLParameters(p);
            netIn.flip();
            appIn = ByteBuffer.allocate(engine.getSession().getApplicationBufferSize() + 64);
            netOut = ByteBuffer.allocate(engine.getSession().getPacketBufferSize() + 64);
        }

        byte[] take() {
            byte[] b = out.toByteArray();
            out.reset();
            if (o.server) groups.scan(b);
            return b;
        }

        void feed(byte[] data) {
            if (data == null || data.length == 0) return;
            if (!o.server) groups.scan(data);
            if (failed) return; // after a failure, input is ignored
            if (netIn.capacity() - netIn.remaining() < data.length) {
                ByteBuffer bigger = ByteBuffer.allocate(netIn.remaining() + data.length + 4096);
                bigger.put(netIn);
                netIn = bigger;
            } else {
                netIn.compact();
            }
            netIn.put(data);
            netIn.flip();
        }

        /** Runs the engine as far as its input allows. */
        byte[] step(byte[] data) {
            current = this;
            feed(data);
            try {
                if (!started) {
                    started = true;
                    engine.beginHandshake();
                }
                if (!failed) pump();
            } catch (SSLException | RuntimeException e) {
                fail(e);
            }
            flush();
            return take();
        }

        void fail(Exception e) {
            if (!failed) {
                failed = true;
                error = String.valueOf(e.getMessage());
                if (e instanceof SSLException && error.startsWith("Received fatal alert: ") && alertReceived < 0)
                    alertReceived = alertCode(error.substring(22));
            }
        }

        /** After a failure: the alert JSSE queued, if any, leaves now. */
        void flush() {
            if (!failed) return;
            int before = out.size();
            for (int i = 0; i < 8 && !engine.isOutboundDone(); i++) {
                int had = out.size();
                try {
                    wrap(EMPTY);
                } catch (SSLException | RuntimeException e) {
                    break;
                }
                if (out.size() == had) break;
            }
            // The alert was sent if its record left now: JSSE sends none
            // when its outbound side was already closed.
            if (fatalPending >= 0 && out.size() > before) {
                alertSent = fatalPending;
                alertSentLevel = 2;
                fatalPending = -1;
            }
        }

        SSLEngineResult wrap(ByteBuffer src) throws SSLException {
            while (true) {
                netOut.clear();
                SSLEngineResult r = engine.wrap(src, netOut);
                if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
                    netOut = ByteBuffer.allocate(netOut.capacity() * 2);
                    continue;
                }
                out.write(netOut.array(), 0, netOut.position());
                note(r);
                return r;
            }
        }

        SSLEngineResult unwrap() throws SSLException {
            while (true) {
                SSLEngineResult r = engine.unwrap(netIn, appIn);
                if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
                    ByteBuffer bigger = ByteBuffer.allocate(appIn.capacity() * 2);
                    appIn.flip();
                    bigger.put(appIn);
                    appIn = bigger;
                    continue;
                }
                note(r);
                return r;
            }
        }

        void note(SSLEngineResult r) {
            if (r.getHandshakeStatus() == HandshakeStatus.FINISHED && !handshakeDone) {
                handshakeDone = true;
                SSLSession s = engine.getSession();
                try {
                    s.getPeerCertificates();
                    peerAuthenticated = true; // a chain kept is a chain JSSE verified
                } catch (SSLPeerUnverifiedException e) {
                    peerAuthenticated = false;
                }
            }
        }

        void pump() throws SSLException {
            for (int guard = 0; guard < 100000; guard++) {
                HandshakeStatus hs = engine.getHandshakeStatus();
                switch (hs) {
                case NEED_TASK:
                    for (Runnable t; (t = engine.getDelegatedTask()) != null;) t.run();
                    continue;
                case NEED_WRAP: {
                    int before = out.size();
                    SSLEngineResult r = wrap(EMPTY);
                    if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
                        if (out.size() > before && !failed) closeNotifySent = true;
                        if (out.size() == before) return;
                    }
                    continue;
                }
                case NEED_UNWRAP:
                case NEED_UNWRAP_AGAIN: {
                    if (engine.isInboundDone()) return;
                    SSLEngineResult r = unwrap();
                    deliver();
                    if (r.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW) return;
                    if (r.getStatus() == SSLEngineResult.Status.CLOSED) answerClose();
                    continue;
                }
                default: // NOT_HANDSHAKING, FINISHED
                    if (engine.isInboundDone()) {
                        answerClose();
                        if (engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP) continue;
                        return;
                    }
                    if (!netIn.hasRemaining()) return;
                    SSLEngineResult r = unwrap();
                    deliver();
                    if (r.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW) return;
                    if (r.getStatus() == SSLEngineResult.Status.CLOSED) answerClose();
                }
            }
        }

        /** The peer's close_notify: answer with ours (RFC 8446 §6.1). */
        void answerClose() throws SSLException {
            if (!engine.isOutboundDone()) {
                engine.closeOutbound();
                closeNow();
            }
        }

        void closeNow() throws SSLException {
            int before = out.size();
            for (int i = 0; i < 8 && !engine.isOutboundDone(); i++) wrap(EMPTY);
            if (out.size() > before && !failed) closeNotifySent = true;
        }

        /** The echo contract: application data read goes back (or the reply). */
        void deliver() throws SSLException {
            if (appIn.position() == 0) return;
            appIn.flip();
            byte[] data = new byte[appIn.remaining()];
            appIn.get(data);
            appIn.clear();
            byte[] answer = data;
            if (o.appReply != null) {
                answer = null;
                for (byte b : data)
                    if (b == '\n') {
                        answer = o.appReply;
                        appReplies++;
                        break;
                    }
            }
            if (answer == null) return;
            ByteBuffer src = ByteBuffer.wrap(answer);
            while (src.hasRemaining()) {
                SSLEngineResult r = wrap(src);
                if (r.getStatus() == SSLEngineResult.Status.CLOSED) break;
            }
        }

        byte[] close() {
            current = this;
            if (handshakeDone && !failed && !closeNotifySent) {
                try {
                    engine.closeOutbound();
                    closeNow();
                } catch (SSLException | RuntimeException e) {
                    fail(e);
                    flush();
                }
            }
            return take();
        }

        String status() {
            SSLSession s = handshakeDone ? engine.getSession() : engine.getHandshakeSession();
            if (s != null) {
                String p = s.getProtocol();
                if (p.equals("TLSv1.3")) version = TLS13;
                else if (p.equals("TLSv1.2")) version = TLS12;
                Integer c = SUITES.get(s.getCipherSuite());
                if (c != null) cipher = c;
            }
            String e = error.replace('\n', ' ').replace('\r', ' ');
            if (e.length() > 255) e = e.substring(0, 255);
            return "handshake_done=" + b(handshakeDone) + "\nfailed=" + b(failed) + "\nalert_sent=" + alertSent
                + "\nalert_sent_level=" + alertSentLevel + "\nalert_received=" + alertReceived
                + "\nclose_notify_sent=" + b(closeNotifySent) + "\nversion=" + version + "\ncipher=" + cipher
                + "\ngroup=" + groups.group + "\npeer_authenticated=" + b(handshakeDone && peerAuthenticated)
                + "\napp_replies=" + appReplies + "\nreset=1\nerror=" + e + "\n";
        }
    }

    static int b(boolean v) { return v ? 1 : 0; }

    static String failedStatus(String why) {
        String e = why.replace('\n', ' ').replace('\r', ' ');
        if (e.length() > 255) e = e.substring(0, 255);
        return "handshake_done=0\nfailed=1\nalert_sent=-1\nalert_sent_level=-1\nalert_received=-1\n"
            + "close_notify_sent=0\nversion=0\ncipher=0\ngroup=0\npeer_authenticated=0\napp_replies=0\nreset=1\n"
            + "error=" + e + "\n";
    }

    // SESSION's answer when the client kept a session: an SSLSession has no
    // serialization, so it cannot reach the next process; the client given
    // these bytes back refuses them as unsupported (a SKIP with the reason,
    // not a full handshake graded as a failure to resume).
    static final byte[] SESSION_NOT_SERIALIZABLE =
        "jsse: an SSLSession cannot be serialized".getBytes(StandardCharsets.US_ASCII);

    // ---- The negotiated group, from the wire ----------------------------------------
    //
    // SSLSession does not name the key exchange group, so `group` is read
    // from the server's plaintext flight, the bytes the harness sees too:
    // the key_share of the TLS 1.3 ServerHello (RFC 8446 §4.2.8) or the
    // named_curve of the TLS 1.2 ServerKeyExchange (RFC 8422 §5.4). A server
    // scans what it writes, a client what it reads; the scan stops at the
    // first ChangeCipherSpec or encrypted record.
    static final class GroupScanner {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(), hs = new ByteArrayOutputStream();
        boolean done;
        int group;

        void scan(byte[] b) {
            if (done || b.length == 0) return;
            buf.write(b, 0, b.length);
            byte[] a = buf.toByteArray();
            int p = 0;
            while (a.length - p >= 5 && !done) {
                int n = (a[p + 3] & 0xff) << 8 | (a[p + 4] & 0xff);
                if (a.length - p < 5 + n) break;
                int type = a[p] & 0xff;
                if (type == 22) {
                    hs.write(a, p + 5, n);
                    messages();
                } else if (type == 20 || type == 23) {
                    done = true;
                }
                p += 5 + n;
            }
            buf.reset();
            buf.write(a, p, a.length - p);
        }

        void messages() {
            byte[] h = hs.toByteArray();
            int p = 0;
            while (h.length - p >= 4) {
                int n = (h[p + 1] & 0xff) << 16 | (h[p + 2] & 0xff) << 8 | (h[p + 3] & 0xff);
                if (h.length - p < 4 + n) break;
                int type = h[p] & 0xff;
                if (type == 2) {
                    int g = keyShare(h, p + 4, p + 4 + n);
                    if (g > 0) group = g;
                } else if (type == 12 && n >= 3 && h[p + 4] == 3) {
                    group = (h[p + 5] & 0xff) << 8 | (h[p + 6] & 0xff);
                }
                p += 4 + n;
            }
            hs.reset();
            hs.write(h, p, h.length - p);
        }

        /** The group of a ServerHello's key_share (RFC 8446 §4.1.3), or 0. */
        static int keyShare(byte[] b, int start, int end) {
            int p = start + 34;
            if (p >= end) return 0;
            p += 1 + (b[p] & 0xff) + 3; // session_id, cipher_suite, compression
            if (p + 2 > end) return 0;
            int extEnd = p + 2 + ((b[p] & 0xff) << 8 | (b[p + 1] & 0xff));
            p += 2;
            if (extEnd > end) return 0;
            while (p + 4 <= extEnd) {
                int type = (b[p] & 0xff) << 8 | (b[p + 1] & 0xff), n = (b[p + 2] & 0xff) << 8 | (b[p + 3] & 0xff);
                p += 4;
                if (p + n > extEnd) return 0;
                if (type == 51 && n >= 2) return (b[p] & 0xff) << 8 | (b[p + 1] & 0xff);
                p += n;
            }
            return 0;
        }
    }

    // ---- Framing and the main loop ----------------------------------------------------

    static void send(OutputStream out, int type, byte[] payload) throws IOException {
        byte[] f = new byte[5 + payload.length];
        f[0] = (byte)type;
        f[1] = (byte)(payload.length >>> 24);
        f[2] = (byte)(payload.length >>> 16);
        f[3] = (byte)(payload.length >>> 8);
        f[4] = (byte)payload.length;
        System.arraycopy(payload, 0, f, 5, payload.length);
        out.write(f);
        out.flush();
    }

    static void sendStatus(OutputStream out, String status) throws IOException {
        send(out, FRAME_STATUS, status.getBytes(StandardCharsets.UTF_8));
    }

    /** A run from options: it and its first STATUS, or null and the STATUS that says why not. */
    static Object[] configure(Options o) {
        try {
            Run r = new Run(o);
            current = r.conn;
            return new Object[] {r, r.conn.status()};
        } catch (Unsupported e) {
            return new Object[] {null, failedStatus(e.getMessage())};
        } catch (Exception e) {
            return new Object[] {null, failedStatus(e.getClass().getSimpleName() + ": " + e.getMessage())};
        }
    }

    public static void main(String[] args) throws IOException {
        // Nothing printed may reach the socket (stdout).
        PrintStream stdout = System.out;
        System.setOut(System.err);
        Options o;
        try {
            o = parseArgs(args);
        } catch (UsageError e) {
            System.err.println("shakedown-shim-jsse: " + e.getMessage() + " (try --help)");
            System.exit(EXIT_USAGE);
            return;
        }
        if (o == null) {
            if (Arrays.asList(args).contains("--version")) stdout.println(version());
            stdout.flush();
            System.exit(0);
        }
        final int fd = o.fd;
        DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(new FileInputStream(FileDescriptor.in)));
        OutputStream sock = new FileOutputStream(FileDescriptor.out);

        listenForAlerts();
        setProcessProperties(processProperties(o));
        Object[] c = configure(o);
        Run run = (Run)c[0];
        String first = (String)c[1];
        sendStatus(sock, first);

        while (true) {
            int type;
            try {
                type = in.readUnsignedByte();
            } catch (EOFException e) {
                System.exit(0); // the harness closed: done
                return;
            }
            int n = in.readInt();
            if (n < 0 || n > MAX_FRAME) {
                System.err.println("jsse shim: frame of " + n + " bytes is too big");
                System.exit(EXIT_PROTOCOL);
            }
            byte[] payload = new byte[n];
            in.readFully(payload);
            byte[] reply = null;
            String st;
            if (type == FRAME_RESET) {
                run = null;
                current = null;
                List<String> argv = new ArrayList<>();
                boolean ok = n == 0 || payload[n - 1] == 0;
                int at = 0;
                for (int i = 0; ok && i < n; i++)
                    if (payload[i] == 0) {
                        argv.add(new String(payload, at, i - at, StandardCharsets.UTF_8));
                        at = i + 1;
                    }
                Options next = null;
                try {
                    next = ok ? parseArgs(argv.toArray(new String[0])) : null;
                } catch (UsageError e) {
                    next = null;
                }
                if (next == null) {
                    st = failedStatus("RESET with arguments that do not parse");
                } else if (next.fd != fd) {
                    st = failedStatus("RESET with --fd " + next.fd + "; this shim talks on " + fd);
                } else if (!fits(processProperties(next))) {
                    // JSSE read its process-wide settings already: a new
                    // process must run this one (above).
                    System.err.println("jsse shim: exits on RESET: its process-wide settings " + fixedProperties
                                       + " are not the run's " + processProperties(next));
                    System.exit(0);
                    return;
                } else {
                    o = next;
                    c = configure(o);
                    run = (Run)c[0];
                    st = (String)c[1];
                }
                first = st;
            } else if (run == null) {
                st = first;
            } else if (type == FRAME_DATA || (type == FRAME_START && n == 0)) {
                reply = run.conn.step(type == FRAME_DATA ? payload : null);
                st = run.conn.status();
            } else if (type == FRAME_CLOSE && n == 0) {
                reply = run.conn.close();
                st = run.conn.status();
            } else if (type == FRAME_NEXT && n == 0) {
                // A new connection on the same SSLContext, which keeps the
                // server's session cache and ticket keys.
                try {
                    run.conn = new Connection(run);
                    current = run.conn;
                    st = run.conn.status();
                } catch (Exception e) {
                    st = failedStatus(String.valueOf(e.getMessage()));
                }
            } else if (type == FRAME_SESSION && n == 0) {
                Connection k = run.conn;
                if (!o.server && k.handshakeDone && !k.failed && k.engine.getSession().isValid())
                    reply = SESSION_NOT_SERIALIZABLE;
                st = k.status();
            } else if (type == FRAME_EXPORT && n >= 3 && n <= 2 + MAX_EXPORT_LABEL) {
                // JSSE 17 has no keying-material exporter (RFC 5705, RFC
                // 8446 §7.5): no DATA, as the contract allows.
                st = run.conn.status();
            } else {
                System.err.println("jsse shim: unexpected frame type " + type + " (length " + n + ")");
                System.exit(EXIT_PROTOCOL);
                return;
            }
            if (reply != null && reply.length > 0) send(sock, FRAME_DATA, reply);
            sendStatus(sock, st);
        }
    }
}
