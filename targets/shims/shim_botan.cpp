/* shim_botan.cpp — Botan 2.19 behind the shim contract (docs/shim-contract.md).
 *
 * Botan is C++: its stack part lives here, with its program, and hands
 * shim_main (shim_common.c) a shim_stack like the C parts do. The framing,
 * the options and the memory connection are the C shim layer's, used
 * through extern "C".
 *
 * The stack is a Botan::TLS::Client or Botan::TLS::Server over callbacks
 * (Botan::TLS::Callbacks): tls_emit_data writes to the connection,
 * received_data() is fed what the peer sent, tls_record_received echoes
 * application data, tls_alert records alerts received. What the harness
 * asks of the configuration is a Botan::TLS::Policy subclass (versions,
 * suites, groups, signature schemes, client auth, renegotiation) and a
 * Botan::Credentials_Manager (the credential, the trust anchors, the ticket
 * key).
 *
 * Botan 2.19 speaks TLS 1.2 only. As for mbedTLS 2.28, a --max-version of
 * 1.3 is refused ("unsupported:"), not narrowed: a stack that could speak
 * TLS 1.3 behaves otherwise in TLS 1.2 (RFC 8446 §4.1.3, the downgrade
 * sentinel), so a scenario runs it with --max-version 1.2.
 *
 * Botan has no callback for the alerts it sends. It sends them itself: a
 * fatal one when received_data() fails (the exception it throws says
 * which, as Botan::TLS::Channel maps it: a TLS_Exception's own type,
 * bad_record_mac for an authentication failure, decode_error for a
 * Decoding_Error, internal_error otherwise), close_notify in reply to the
 * peer's, and a warning no_renegotiation when it refuses a renegotiation
 * (RFC 5746 §4.2). The shim counts the alert records that leave (their
 * content type is in the clear) and names them so. */
extern "C" {
#include "shim_common.h"
}

#include <botan/auto_rng.h>
#include <botan/certstor.h>
#include <botan/credentials_manager.h>
#include <botan/data_src.h>
#include <botan/dl_group.h>
#include <botan/pkcs8.h>
#include <botan/tls_callbacks.h>
#include <botan/tls_client.h>
#include <botan/tls_exceptn.h>
#include <botan/tls_messages.h>
#include <botan/tls_policy.h>
#include <botan/tls_server.h>
#include <botan/tls_session_manager.h>
#include <botan/version.h>
#include <botan/x509_crl.h>
#include <botan/x509path.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace {

namespace TLS = Botan::TLS;

/* A refusal of create(): err says why ("unsupported: ..." for what Botan
 * lacks). */
struct Refusal {
    std::string why;
};

/* Comma-separated list → items, in order. */
std::vector<std::string> split_list(const char *list) {
    std::vector<std::string> items;
    if (list == nullptr) return items;
    std::string s(list);
    size_t start = 0;
    for (;;) {
        size_t comma = s.find(',', start);
        std::string item = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (!item.empty()) items.push_back(item);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return items;
}

/* --groups: the IANA names Botan 2.19 has as TLS groups (tls_algos.h,
 * Group_Params: no X448). */
std::vector<TLS::Group_Params> groups_of(const char *list) {
    std::vector<TLS::Group_Params> groups;
    for (const std::string &name : split_list(list)) {
        uint16_t id = shim_group_id(name.c_str());
        switch (static_cast<TLS::Group_Params>(id)) {
        case TLS::Group_Params::SECP256R1:
        case TLS::Group_Params::SECP384R1:
        case TLS::Group_Params::SECP521R1:
        case TLS::Group_Params::BRAINPOOL256R1:
        case TLS::Group_Params::BRAINPOOL384R1:
        case TLS::Group_Params::BRAINPOOL512R1:
        case TLS::Group_Params::X25519:
        case TLS::Group_Params::FFDHE_2048:
        case TLS::Group_Params::FFDHE_3072:
        case TLS::Group_Params::FFDHE_4096:
        case TLS::Group_Params::FFDHE_6144:
        case TLS::Group_Params::FFDHE_8192:
            groups.push_back(static_cast<TLS::Group_Params>(id));
            break;
        default:
            throw Refusal{"unsupported: group " + name + " (Botan 2.19 has no such TLS group)"};
        }
    }
    return groups;
}

/* --ciphers: TLS 1.2 suites Botan knows (Ciphersuite::by_id; no TLS 1.3
 * suite). */
std::vector<uint16_t> suites_of(const char *list) {
    std::vector<uint16_t> suites;
    for (const std::string &name : split_list(list)) {
        uint16_t id = shim_cipher_id(name.c_str());
        if (id == 0 || !TLS::Ciphersuite::by_id(id).valid())
            throw Refusal{"unsupported: cipher suite " + name + " (not a TLS 1.2 suite of Botan 2.19)"};
        suites.push_back(id);
    }
    return suites;
}

/* --sigalgs: the SignatureSchemes of Botan 2.19 (tls_algos.h); RSA-PSS
 * with a PSS key (rsa_pss_pss_*) is not among them. */
std::vector<TLS::Signature_Scheme> schemes_of(const char *list) {
    std::vector<TLS::Signature_Scheme> schemes;
    for (const std::string &name : split_list(list)) {
        auto scheme = static_cast<TLS::Signature_Scheme>(shim_sigalg_id(name.c_str()));
        const auto &known = TLS::all_signature_schemes();
        if (scheme == TLS::Signature_Scheme::NONE ||
            std::find(known.begin(), known.end(), scheme) == known.end())
            throw Refusal{"unsupported: signature scheme " + name + " (not one of Botan 2.19's)"};
        schemes.push_back(scheme);
    }
    return schemes;
}

/* What the flags ask of the negotiation. Absent flags keep Botan's
 * defaults (TLS::Policy's). */
class Shim_Policy final : public TLS::Policy {
  public:
    explicit Shim_Policy(const shim_opts &o)
        : m_role(o.role), m_client_auth(o.client_auth), m_renegotiation(o.renegotiation),
          m_encrypt_then_mac(o.encrypt_then_mac), m_groups(groups_of(o.groups)),
          m_suites(suites_of(o.ciphers)), m_schemes(schemes_of(o.sigalgs)) {
        /* A Botan server sends a CertificateRequest only when its key
         * exchange is signed (Ciphersuite::signature_used): with a static
         * RSA suite it asks for no certificate, even when required, and
         * the handshake goes on without client authentication. Botan's
         * default suites have no static RSA; a --ciphers list with one
         * cannot be served with --client-auth exactly. */
        if (o.role == SHIM_SERVER && o.client_auth != SHIM_AUTH_NONE)
            for (uint16_t id : m_suites)
                if (TLS::Ciphersuite::by_id(id).kex_method() == TLS::Kex_Algo::STATIC_RSA)
                    throw Refusal{
                        std::string("unsupported: client authentication with the static RSA suite ") +
                        shim_cipher_name(id) +
                        " (a Botan 2.19 server asks for a client certificate only when its key "
                        "exchange is signed)"};
    }

    bool allow_tls10() const override { return false; }
    bool allow_tls11() const override { return false; }
    bool allow_tls12() const override { return true; }
    bool allow_dtls10() const override { return false; }
    bool allow_dtls12() const override { return false; }

    std::vector<uint16_t> ciphersuite_list(TLS::Protocol_Version version, bool have_srp) const override {
        return m_suites.empty() ? TLS::Policy::ciphersuite_list(version, have_srp) : m_suites;
    }
    bool acceptable_ciphersuite(const TLS::Ciphersuite &suite) const override {
        if (m_suites.empty()) return TLS::Policy::acceptable_ciphersuite(suite);
        return std::find(m_suites.begin(), m_suites.end(), suite.ciphersuite_code()) != m_suites.end();
    }
    std::vector<TLS::Group_Params> key_exchange_groups() const override {
        return m_groups.empty() ? TLS::Policy::key_exchange_groups() : m_groups;
    }
    /* A DHE server whose client named no FFDHE group (RFC 7919 §4) uses
     * its first FFDHE group of --groups. */
    TLS::Group_Params default_dh_group() const override {
        for (TLS::Group_Params g : m_groups)
            if (static_cast<uint16_t>(g) >> 8 == 1) return g; /* RFC 7919's 0x01xx */
        return TLS::Policy::default_dh_group();
    }
    std::vector<TLS::Signature_Scheme> allowed_signature_schemes() const override {
        return m_schemes.empty() ? TLS::Policy::allowed_signature_schemes() : m_schemes;
    }

    /* RFC 5746: secure renegotiation only, and only when asked for. Refused,
     * Botan sends a warning no_renegotiation (§4.2, RFC 5246 §7.2.2) and
     * goes on. */
    /* RFC 7366: a client offers encrypt_then_mac, a server echoes it for a
     * CBC suite; Botan does both unless told not to. */
    bool negotiate_encrypt_then_mac() const override {
        return m_encrypt_then_mac == SHIM_SWITCH_DEFAULT ? TLS::Policy::negotiate_encrypt_then_mac()
                                                         : m_encrypt_then_mac == SHIM_SWITCH_ON;
    }

    bool allow_insecure_renegotiation() const override { return false; }
    bool allow_client_initiated_renegotiation() const override { return m_renegotiation; }
    bool allow_server_initiated_renegotiation() const override { return m_renegotiation; }
    bool abort_connection_on_undesired_renegotiation() const override { return false; }

    /* RFC 5280 §6.3 as the contract has it: a certificate whose issuer has
     * no CRL in --crl is not checked for revocation. */
    bool require_cert_revocation_info() const override { return false; }

    bool request_client_certificate_authentication() const override {
        return m_role == SHIM_SERVER && m_client_auth != SHIM_AUTH_NONE;
    }
    bool require_client_certificate_authentication() const override {
        return m_role == SHIM_SERVER && m_client_auth == SHIM_AUTH_REQUIRE;
    }

  private:
    shim_role m_role;
    shim_client_auth m_client_auth;
    bool m_renegotiation;
    shim_switch m_encrypt_then_mac;
    std::vector<TLS::Group_Params> m_groups;
    std::vector<uint16_t> m_suites;
    std::vector<TLS::Signature_Scheme> m_schemes;
};

/* All PEM objects of one kind in a file, in order. */
template <typename T> std::vector<T> load_pem_all(const char *path, const char *what) {
    std::vector<T> out;
    try {
        Botan::DataSource_Stream in(path);
        while (!in.end_of_data()) {
            try {
                out.emplace_back(in);
            } catch (const Botan::Decoding_Error &) {
                /* what follows the last object (whitespace) */
            }
        }
    } catch (const std::exception &e) {
        throw Refusal{std::string("cannot load ") + what + " " + path + ": " + e.what()};
    }
    if (out.empty()) throw Refusal{std::string("no ") + what + " in " + path};
    return out;
}

/* The credential, the trust anchors with the CRLs, the ticket key. */
class Shim_Creds final : public Botan::Credentials_Manager {
  public:
    Shim_Creds(const shim_opts &o, Botan::RandomNumberGenerator &rng) {
        if (o.cert) {
            m_chain = load_pem_all<Botan::X509_Certificate>(o.cert, "certificates");
            const char *key_file = o.key ? o.key : o.cert;
            try {
                Botan::DataSource_Stream in(key_file);
                m_key = Botan::PKCS8::load_key(in);
            } catch (const std::exception &e) {
                throw Refusal{std::string("cannot load the key ") + key_file + ": " + e.what()};
            }
            /* Botan 2.19's TLS 1.2 authenticates with RSA, DSA and ECDSA
             * keys only (no EdDSA suite or client certificate type, RFC
             * 8422 §5.5): a run with such a credential is one this stack
             * cannot play. */
            const std::string algo = m_key->algo_name();
            if (algo != "RSA" && algo != "ECDSA" && algo != "DSA")
                throw Refusal{"unsupported: the key algorithm " + algo + " of " + key_file +
                              " (Botan 2.19's TLS has no EdDSA)"};
        } else if (o.role == SHIM_SERVER) {
            throw Refusal{"a server needs --cert and --key"};
        }
        if (o.trust) {
            for (const auto &cert : load_pem_all<Botan::X509_Certificate>(o.trust, "trust anchors"))
                m_store.add_certificate(cert);
            m_have_trust = true;
        }
        /* --crl-issuer is not needed: Botan checks a CRL's signature when it
         * validates a path, against the issuer in that path. */
        if (o.crl)
            for (const auto &crl : load_pem_all<Botan::X509_CRL>(o.crl, "CRLs")) m_store.add_crl(crl);
        /* RFC 5077 §4: the key of this run's tickets (a RESET drops it). */
        if (o.role == SHIM_SERVER && o.session_tickets) m_ticket_key = Botan::SymmetricKey(rng, 32);
        m_ask_client = o.role == SHIM_SERVER && o.client_auth != SHIM_AUTH_NONE;
    }

    /* The store a peer's chain is validated against (Shim_Callbacks). A
     * server offers its subjects in its CertificateRequest only when it
     * asks for a client certificate. */
    std::vector<Botan::Certificate_Store *> trusted_certificate_authorities(const std::string &type,
                                                                            const std::string &) override {
        if (!m_have_trust || (type == "tls-server" && !m_ask_client)) return {};
        return {&m_store};
    }
    Botan::Certificate_Store_In_Memory &store() { return m_store; }

    std::vector<Botan::X509_Certificate> cert_chain(const std::vector<std::string> &key_types,
                                                    const std::string &, const std::string &) override {
        if (m_chain.empty() || !m_key) return {};
        if (std::find(key_types.begin(), key_types.end(), m_key->algo_name()) == key_types.end()) return {};
        return m_chain;
    }
    Botan::Private_Key *private_key_for(const Botan::X509_Certificate &, const std::string &,
                                        const std::string &) override {
        return m_key.get();
    }
    Botan::SymmetricKey psk(const std::string &type, const std::string &context,
                            const std::string &identity) override {
        if (type == "tls-server" && context == "session-ticket" && m_ticket_key.length() > 0)
            return m_ticket_key;
        /* Botan's answer for "none": no tickets (the server catches it). */
        return Botan::Credentials_Manager::psk(type, context, identity);
    }

  private:
    std::vector<Botan::X509_Certificate> m_chain;
    std::unique_ptr<Botan::Private_Key> m_key;
    Botan::Certificate_Store_In_Memory m_store;
    bool m_have_trust = false;
    bool m_ask_client = false;
    Botan::SymmetricKey m_ticket_key;
};

struct Botan_Shim;
uint16_t group_of(const Botan_Shim &s);

class Shim_Callbacks final : public TLS::Callbacks {
  public:
    explicit Shim_Callbacks(Botan_Shim &s) : m_s(s) {}
    void tls_emit_data(const uint8_t data[], size_t size) override;
    void tls_record_received(uint64_t, const uint8_t data[], size_t size) override;
    void tls_alert(TLS::Alert alert) override;
    bool tls_session_established(const TLS::Session &session) override;
    void tls_session_activated() override;
    void tls_verify_cert_chain(const std::vector<Botan::X509_Certificate> &chain,
                               const std::vector<std::shared_ptr<const Botan::OCSP::Response>> &ocsp,
                               const std::vector<Botan::Certificate_Store *> &trusted,
                               Botan::Usage_Type usage, const std::string &hostname,
                               const TLS::Policy &policy) override;
    void tls_inspect_handshake_msg(const TLS::Handshake_Message &msg) override;
    void tls_modify_extensions(TLS::Extensions &extn, TLS::Connection_Side side) override;

  private:
    Botan_Shim &m_s;
};

struct Botan_Shim {
    const shim_opts &o;
    shim_conn *c;
    Botan::AutoSeeded_RNG rng;
    Shim_Policy policy;
    Shim_Creds creds;
    /* A server's session cache lives as long as the run (NEXT keeps it); a
     * client's holds the session it was given to resume. */
    std::unique_ptr<TLS::Session_Manager> sessions;
    Shim_Callbacks callbacks{*this};
    std::unique_ptr<TLS::Channel> channel;

    /* This connection. */
    unsigned alert_records = 0; /* alert records sent */
    bool peer_closed = false;   /* close_notify received */
    bool peer_authenticated = false;
    uint16_t version = 0, cipher = 0, group = 0;
    std::vector<uint8_t> kex_params; /* the ServerKeyExchange's, for the group */
    std::vector<uint8_t> session;    /* client: the last session, DER, if resumable */
    bool offer_tickets;              /* client: keep session_ticket in the ClientHello */

    explicit Botan_Shim(const shim_opts &opts, shim_conn *conn)
        : o(opts), c(conn), policy(opts), creds(opts, rng), offer_tickets(opts.session_tickets) {
        if (o.role == SHIM_SERVER && o.session_cache)
            sessions = std::make_unique<TLS::Session_Manager_In_Memory>(rng);
        else if (o.role == SHIM_CLIENT)
            sessions = std::make_unique<TLS::Session_Manager_In_Memory>(rng);
        else
            sessions = std::make_unique<TLS::Session_Manager_Noop>();
        if (o.role == SHIM_CLIENT && o.resume_session) {
            try {
                TLS::Session resumed(o.resume_session, o.resume_session_len);
                offer_tickets |= !resumed.session_ticket().empty();
                sessions->save(resumed);
            } catch (const std::exception &e) {
                throw Refusal{std::string("--resume-session-hex is no Botan session: ") + e.what()};
            }
        }
        if (o.role == SHIM_SERVER) new_server();
    }

    void new_server() { channel = std::make_unique<TLS::Server>(callbacks, *sessions, creds, policy, rng); }

    /* The client's first flight goes out on its first step. */
    void new_client() {
        channel = std::make_unique<TLS::Client>(callbacks, *sessions, creds, policy, rng,
                                                TLS::Server_Information(o.server_name ? o.server_name : ""),
                                                TLS::Protocol_Version::TLS_V12);
    }

    /* Runs `run` (which calls into Botan) and names the alerts it sent:
     * Botan's Channel sends them itself (the comment at the top). */
    template <typename F> void guarded(F run) {
        shim_status *st = shim_st(c);
        const unsigned before = alert_records;
        const bool closed_before = peer_closed;
        try {
            run();
        } catch (const TLS::TLS_Exception &e) {
            failed_with(before, e.type(), e.what());
            return;
        } catch (const Botan::Invalid_Authentication_Tag &e) {
            failed_with(before, TLS::Alert::BAD_RECORD_MAC, e.what());
            return;
        } catch (const Botan::Decoding_Error &e) {
            failed_with(before, TLS::Alert::DECODE_ERROR, e.what());
            return;
        } catch (const std::exception &e) {
            failed_with(before, TLS::Alert::INTERNAL_ERROR, e.what());
            return;
        }
        unsigned sent = alert_records - before;
        if (sent > 0 && peer_closed && !closed_before) {
            /* The reply in kind to the peer's close_notify (RFC 5246 §7.2.1). */
            st->close_notify_sent = true;
            sent--;
        }
        if (sent > 0) {
            st->alert_sent = TLS::Alert::NO_RENEGOTIATION;
            st->alert_sent_level = 1;
        }
    }

    void failed_with(unsigned before, TLS::Alert::Type type, const char *what) {
        shim_status *st = shim_st(c);
        if (alert_records > before) {
            /* Botan's last record was the fatal alert of this failure. */
            st->alert_sent = static_cast<int>(type);
            st->alert_sent_level = 2;
        }
        shim_fail(c, "%s", what);
    }
};

void Shim_Callbacks::tls_emit_data(const uint8_t data[], size_t size) {
    /* One record a call (Channel::write_record); 21 = alert (RFC 5246 §6.2.1). */
    if (size >= 5 && data[0] == 21) m_s.alert_records++;
    shim_write(m_s.c, data, size);
}

/* The echo contract: each read written back, or answered with
 * --app-reply-hex (shim_app_answer). */
void Shim_Callbacks::tls_record_received(uint64_t, const uint8_t data[], size_t size) {
    size_t n = size;
    const void *answer = shim_app_answer(m_s.c, data, &n);
    if (answer != nullptr && n > 0) m_s.channel->send(static_cast<const uint8_t *>(answer), n);
}

void Shim_Callbacks::tls_alert(TLS::Alert alert) {
    shim_status *st = shim_st(m_s.c);
    st->alert_received = static_cast<int>(alert.type());
    if (alert.type() == TLS::Alert::CLOSE_NOTIFY) m_s.peer_closed = true;
    if (alert.is_fatal()) shim_fail(m_s.c, "received fatal alert %s", alert.type_string().c_str());
}

bool Shim_Callbacks::tls_session_established(const TLS::Session &session) {
    m_s.version =
        static_cast<uint16_t>(session.version().major_version() << 8 | session.version().minor_version());
    m_s.cipher = session.ciphersuite_code();
    if (m_s.o.role == SHIM_CLIENT && (!session.session_id().empty() || !session.session_ticket().empty())) {
        Botan::secure_vector<uint8_t> der = session.DER_encode();
        m_s.session.assign(der.begin(), der.end());
    } else {
        m_s.session.clear();
    }
    return true; /* into the session manager: a server's cache, if it has one */
}

void Shim_Callbacks::tls_session_activated() {
    shim_status *st = shim_st(m_s.c);
    st->handshake_done = true;
    /* Botan validates every chain it gets (tls_verify_cert_chain, below)
     * and the proof of its key before it activates the session; a resumed
     * session carries the chain validated when it was made. */
    m_s.peer_authenticated = !m_s.channel->peer_cert_chain().empty();
    m_s.group = group_of(m_s);
}

/* The alert for a chain that does not validate, by RFC 5246 §7.2.2's
 * descriptions (Botan's own default is bad_certificate for all). */
TLS::Alert::Type alert_for(Botan::Certificate_Status_Code code) {
    using Code = Botan::Certificate_Status_Code;
    switch (code) {
    case Code::CERT_IS_REVOKED:
        return TLS::Alert::CERTIFICATE_REVOKED;
    case Code::CERT_HAS_EXPIRED:
    case Code::CERT_NOT_YET_VALID:
        return TLS::Alert::CERTIFICATE_EXPIRED;
    case Code::CERT_ISSUER_NOT_FOUND:
    case Code::CANNOT_ESTABLISH_TRUST:
        return TLS::Alert::UNKNOWN_CA;
    default:
        return TLS::Alert::BAD_CERTIFICATE;
    }
}

/* Botan's default, at --time and against the shim's store (trust anchors
 * and CRLs): the chain to a trust anchor, the name (a client's
 * --server-name), the CRL of an issuer that has one (RFC 5280 §6.3), and
 * the leaf's extendedKeyUsage for usage (TLS_SERVER_AUTH for a client,
 * TLS_CLIENT_AUTH for a server). */
void Shim_Callbacks::tls_verify_cert_chain(
    const std::vector<Botan::X509_Certificate> &chain,
    const std::vector<std::shared_ptr<const Botan::OCSP::Response>> &ocsp,
    const std::vector<Botan::Certificate_Store *> &, Botan::Usage_Type usage, const std::string &hostname,
    const TLS::Policy &policy) {
    if (chain.empty()) throw TLS::TLS_Exception(TLS::Alert::BAD_CERTIFICATE, "empty certificate chain");
    const Botan::Path_Validation_Restrictions restrictions(policy.require_cert_revocation_info(),
                                                           policy.minimum_signature_strength());
    const auto when = m_s.o.time ? std::chrono::system_clock::from_time_t(static_cast<time_t>(m_s.o.time))
                                 : std::chrono::system_clock::now();
    const std::vector<Botan::Certificate_Store *> roots = {&m_s.creds.store()};
    /* A server's Botan passes its own SNI name here for the client's
     * chain; a client certificate names the client, not the server, so
     * the name is checked by a client only (the contract's --server-name). */
    const std::string name = m_s.o.role == SHIM_CLIENT ? hostname : std::string();
    Botan::Path_Validation_Result result = Botan::x509_path_validate(
        chain, restrictions, roots, name, usage, when, std::chrono::milliseconds(0), ocsp);
    if (!result.successful_validation())
        throw TLS::TLS_Exception(alert_for(result.result()),
                                 "certificate validation failure: " + result.result_string());
}

void Shim_Callbacks::tls_inspect_handshake_msg(const TLS::Handshake_Message &msg) {
    if (msg.type() == TLS::SERVER_KEX) {
        const auto *kex = dynamic_cast<const TLS::Server_Key_Exchange *>(&msg);
        if (kex) m_s.kex_params = kex->params();
    }
}

/* A Botan client always offers session_ticket (RFC 5077 §3.2); without
 * --session-tickets on the shim takes it out, as the contract asks, unless
 * it resumes with a ticket (which goes in that extension). */
void Shim_Callbacks::tls_modify_extensions(TLS::Extensions &extn, TLS::Connection_Side side) {
    if (side == TLS::CLIENT && m_s.o.role == SHIM_CLIENT && !m_s.offer_tickets)
        extn.remove_extension(TLS::TLSEXT_SESSION_TICKET);
}

/* The group of the key exchange, from the ServerKeyExchange: ECDHE names
 * it (RFC 8422 §5.4: curve_type named_curve, then the group), DHE gives p,
 * which is one of RFC 7919's groups or none. */
uint16_t group_of(const Botan_Shim &s) {
    const std::vector<uint8_t> &p = s.kex_params;
    if (s.cipher == 0 || p.size() < 3) return 0;
    TLS::Kex_Algo kex = TLS::Ciphersuite::by_id(s.cipher).kex_method();
    if (kex == TLS::Kex_Algo::ECDH) return p[0] == 3 ? static_cast<uint16_t>(p[1] << 8 | p[2]) : 0;
    if (kex != TLS::Kex_Algo::DH) return 0;
    size_t len = static_cast<size_t>(p[0] << 8 | p[1]);
    if (p.size() < 2 + len) return 0;
    Botan::BigInt prime(p.data() + 2, len);
    static const struct {
        const char *name;
        TLS::Group_Params id;
    } ffdhe[] = {
        {"ffdhe/ietf/2048", TLS::Group_Params::FFDHE_2048},
        {"ffdhe/ietf/3072", TLS::Group_Params::FFDHE_3072},
        {"ffdhe/ietf/4096", TLS::Group_Params::FFDHE_4096},
        {"ffdhe/ietf/6144", TLS::Group_Params::FFDHE_6144},
        {"ffdhe/ietf/8192", TLS::Group_Params::FFDHE_8192},
    };
    for (const auto &g : ffdhe)
        if (Botan::DL_Group(g.name).get_p() == prime) return static_cast<uint16_t>(g.id);
    return 0;
}

/* ---- The shim_stack ------------------------------------------------------ */

void *botan_create(const shim_opts *o, shim_conn *c, char *err, size_t err_len) {
    /* Not narrowed to TLS 1.2: RFC 8446 §4.1.3 (the comment at the top). */
    if (o->max_version >= SHIM_TLS13) {
        snprintf(err, err_len, "unsupported: Botan 2.19 has no TLS 1.3");
        return nullptr;
    }
    /* 0-RTT is TLS 1.3's (RFC 8446 §4.2.10); unreachable after the line
     * above, kept so that the reason stays right if that one goes. */
    if (o->max_early_data || o->early_data) {
        snprintf(err, err_len, "unsupported: 0-RTT (Botan 2.19 has no TLS 1.3)");
        return nullptr;
    }
    /* Neither record_size_limit (RFC 8449) nor max_fragment_length (RFC
     * 6066 §4) is in Botan 2.19's TLS: refused rather than left undone. */
    if (o->max_fragment_length || o->record_size_limit) {
        snprintf(err, err_len,
                 "unsupported: max_fragment_length and record_size_limit (not in Botan 2.19's TLS)");
        return nullptr;
    }
    try {
        return new Botan_Shim(*o, c);
    } catch (const Refusal &r) {
        snprintf(err, err_len, "%s", r.why.c_str());
    } catch (const std::exception &e) {
        snprintf(err, err_len, "botan: %s", e.what());
    }
    return nullptr;
}

void botan_step(void *p, shim_conn *c) {
    auto *s = static_cast<Botan_Shim *>(p);
    shim_status *st = shim_st(c);
    if (st->failed) return;
    if (!s->channel) s->guarded([s] { s->new_client(); });
    uint8_t buf[16384];
    size_t n;
    while (!st->failed && !s->channel->is_closed() && (n = shim_read(c, buf, sizeof buf)) > 0)
        s->guarded([s, &buf, n] { s->channel->received_data(buf, n); });
}

void botan_status(void *p, shim_conn *c) {
    auto *s = static_cast<Botan_Shim *>(p);
    shim_status *st = shim_st(c);
    if (!st->handshake_done) return;
    st->version = s->version;
    st->cipher = s->cipher;
    st->group = s->group;
    st->peer_authenticated = s->peer_authenticated;
}

void botan_destroy(void *p) { delete static_cast<Botan_Shim *>(p); }

/* RFC 5705 with no context (Botan: an empty context is none). */
bool botan_export(void *p, const char *label, uint8_t *out, size_t len) {
    auto *s = static_cast<Botan_Shim *>(p);
    if (!s->channel) return false;
    try {
        Botan::SymmetricKey key = s->channel->key_material_export(label, "", len);
        if (key.length() != len) return false;
        std::memcpy(out, key.begin(), len);
        return true;
    } catch (const std::exception &) {
        return false; /* the connection is no longer active */
    }
}

/* CLOSE: Botan's close_notify (Channel::close). */
void botan_close(void *p, shim_conn *c) {
    auto *s = static_cast<Botan_Shim *>(p);
    if (!s->channel) return;
    const unsigned before = s->alert_records;
    s->guarded([s] { s->channel->close(); });
    if (s->alert_records > before) shim_st(c)->close_notify_sent = true;
}

/* NEXT: a new TLS::Server on the same policy, credentials, ticket key and
 * session cache. */
bool botan_next(void *p, shim_conn *c, char *err, size_t err_len) {
    auto *s = static_cast<Botan_Shim *>(p);
    s->c = c;
    s->alert_records = 0;
    s->peer_closed = s->peer_authenticated = false;
    s->version = s->cipher = s->group = 0;
    s->kex_params.clear();
    s->session.clear();
    try {
        if (s->o.role == SHIM_SERVER)
            s->new_server();
        else
            s->channel.reset();
    } catch (const std::exception &e) {
        snprintf(err, err_len, "botan: %s", e.what());
        return false;
    }
    return true;
}

/* SESSION: Botan's DER encoding of the client's session, if the server
 * named one (a session id or a ticket). */
size_t botan_export_session(void *p, uint8_t *out, size_t cap) {
    auto *s = static_cast<Botan_Shim *>(p);
    if (s->session.empty() || s->session.size() > cap) return 0;
    std::memcpy(out, s->session.data(), s->session.size());
    return s->session.size();
}

const char *botan_version() {
    static std::string v = "Botan " + Botan::short_version_string();
    return v.c_str();
}

} // namespace

int main(int argc, char **argv) {
    static const shim_stack shim_stack_botan = {
        "botan",
        botan_version,
        botan_create,
        botan_step,
        botan_status,
        botan_destroy,
        botan_export,
        botan_close,
        botan_next,
        botan_export_session,
        /* Everything of a run is in the Botan_Shim that destroy() deletes
         * (the session cache and the ticket key included); Botan keeps
         * nothing process-wide that a run changes, and its clock is ours
         * (--time, in tls_verify_cert_chain). */
        true,
    };
    return shim_main(argc, argv, &shim_stack_botan);
}
