/* generate_versions.c — the two versions the generated families run for:
 * the requirement each case checks, quoted from the RFC of the version
 * (a scenario's `rfc:` header is one of these strings), and how the
 * version differs where a family asks; see generate_family.h. */
#include "trace/generate_family.h"

/* --- TLS 1.3 (RFC 8446) ------------------------------------------------------ */

static const char *const rfc8446[N_REQUIREMENTS] = {
    [R_ORDER] = "RFC 8446 §4: \"Protocol messages MUST be sent in the order defined in Section 4.4.1 and "
                "shown in the diagrams in Section 2. A peer which receives a handshake message in an "
                "unexpected order MUST abort the handshake with an \"unexpected_message\" alert.\"",
    [R_RENEGOTIATION] =
        "RFC 8446 §4.1.2: \"Because TLS 1.3 forbids renegotiation, if a server has negotiated "
        "TLS 1.3 and receives a ClientHello at any other time, it MUST terminate the "
        "connection with an \"unexpected_message\" alert.\"",
    [R_POST_HANDSHAKE_CR] = "RFC 8446 §4.6.2: \"A client that receives a CertificateRequest message without "
                            "having sent the \"post_handshake_auth\" extension MUST send an "
                            "\"unexpected_message\" fatal alert.\"",
    [R_DECODE] = "RFC 8446 §6.2: \"decode_error: A message could not be decoded because some field was out "
                 "of the specified range or the length of the message was incorrect. This alert is used "
                 "for errors where the message does not conform to the formal protocol syntax.\"",
    [R_FINISHED] = "RFC 8446 §4.4.4: \"Recipients of Finished messages MUST verify that the contents are "
                   "correct and if incorrect MUST terminate the connection with a \"decrypt_error\" "
                   "alert.\"",
    [R_FINISHED_LENGTH] =
        "RFC 8446 §4.4.4: \"opaque verify_data[Hash.length];\" \"Recipients of Finished messages MUST verify "
        "that the contents are correct and if incorrect MUST terminate the connection with a "
        "\"decrypt_error\" alert.\" §6: \"Peers which receive a message which cannot be parsed according to "
        "the syntax (e.g., have a length extending beyond the message boundary or contain an out-of-range "
        "length) MUST terminate the connection with a \"decode_error\" alert.\"",
    [R_PREMATURE_APPDATA] = "RFC 8446 §6.2: \"unexpected_message: An inappropriate message (e.g., the wrong "
                            "handshake message, premature Application Data, etc.) was received.\" §4.4.4: "
                            "\"Once a side has sent its Finished message and has received and validated the "
                            "Finished message from its peer, it may begin to send and receive Application "
                            "Data over the connection.\"",
    [R_ERROR_ALERT] =
        "RFC 8446 §6: \"All the alerts listed in Section 6.2 MUST be sent with AlertLevel=fatal "
        "and MUST be treated as error alerts when received regardless of the AlertLevel in "
        "the message.\" and \"Upon receiving an error alert, the TLS implementation SHOULD "
        "indicate an error to the application and MUST NOT allow any further data to be "
        "sent or received on the connection.\"",
    [R_UNKNOWN_ALERT] = "RFC 8446 §6: \"Unknown Alert types MUST be treated as error alerts.\" and \"Upon "
                        "receiving an error alert, the TLS implementation SHOULD indicate an error to the "
                        "application and MUST NOT allow any further data to be sent or received on the "
                        "connection.\"",
    [R_CLOSE_NOTIFY] = "RFC 8446 §6.1: \"close_notify: This alert notifies the recipient that the sender "
                       "will not send any more messages on this connection. Any data received after a "
                       "closure alert has been received MUST be ignored.\"",
    [R_USER_CANCELED] = "RFC 8446 §6.1: \"user_canceled: This alert notifies the recipient that the sender "
                        "is canceling the handshake for some reason unrelated to a protocol failure.\" "
                        "and \"This alert SHOULD be followed by a \"close_notify\".\"; after close_notify "
                        "\"Any data received after a closure alert has been received MUST be ignored.\"",
    [R_ALERT_RECORD] = "RFC 8446 §5.1: \"Alert messages (Section 6) MUST NOT be fragmented across records, "
                       "and multiple alert messages MUST NOT be coalesced into a single TLSPlaintext "
                       "record. In other words, a record with an Alert type MUST contain exactly one "
                       "message.\" §6.2: \"decode_error: A message could not be decoded because some field "
                       "was out of the specified range or the length of the message was incorrect.\"",
    [R_EMPTY_INNER] =
        "RFC 8446 §5.4: \"Implementations MUST NOT send Handshake and Alert records that have a "
        "zero-length TLSInnerPlaintext.content; if such a message is received, the receiving "
        "implementation MUST terminate the connection with an \"unexpected_message\" alert.\" "
        "§5.1: \"Implementations MUST NOT send zero-length fragments of Handshake types, even if "
        "those fragments contain padding.\"",
    [R_EMPTY_ALERT_PLAINTEXT] =
        "RFC 8446 §5.1: \"a record with an Alert type MUST contain exactly one message.\" An empty one in "
        "the "
        "clear holds none, and the RFC gives two answers: §6: a message which \"cannot be parsed according "
        "to the syntax ... MUST terminate the connection with a \"decode_error\" alert\"; §5.4, for the "
        "same record protected: \"Alert records that have a zero-length TLSInnerPlaintext.content ... MUST "
        "terminate the connection with an \"unexpected_message\" alert.\"",
    [R_PLAINTEXT_AFTER_KEYS] = "RFC 8446 §5.2: \"opaque_type: The outer opaque_type field of a TLSCiphertext "
                               "record is always set to the value 23 (application_data) for outward "
                               "compatibility with middleboxes accustomed to parsing previous versions of "
                               "TLS.\" §6.2: \"unexpected_message: An inappropriate message (e.g., the "
                               "wrong handshake message, premature Application Data, etc.) was received.\"",
    [R_PLAINTEXT_OVERFLOW] = "RFC 8446 §5.1: \"length: The length (in bytes) of the following "
                             "TLSPlaintext.fragment. The length MUST NOT exceed 2^14 bytes. An endpoint "
                             "that receives a record that exceeds this length MUST terminate the "
                             "connection with a \"record_overflow\" alert.\"",
    [R_CIPHERTEXT_OVERFLOW] = "RFC 8446 §5.2: \"An endpoint that receives a record from its peer with "
                              "TLSCiphertext.length larger than 2^14 + 256 octets MUST terminate the "
                              "connection with a \"record_overflow\" alert.\"",
    [R_INNER_OVERFLOW] = "RFC 8446 §5.4: \"the full encoded TLSInnerPlaintext MUST NOT exceed 2^14 + 1 "
                         "octets.\" §5.1: \"The length MUST NOT exceed 2^14 bytes. An endpoint that "
                         "receives a record that exceeds this length MUST terminate the connection with a "
                         "\"record_overflow\" alert.\"",
    [R_RECORD_LIMIT_OK] = "RFC 8446 §5.1: \"The length MUST NOT exceed 2^14 bytes.\" A record of exactly "
                          "2^14 bytes is within the limit and must be accepted.",
    [R_EMPTY_APPDATA] = "RFC 8446 §5.1: \"Zero-length fragments of Application Data MAY be sent, as they are "
                        "potentially useful as a traffic analysis countermeasure.\"",
    [R_INTERLEAVE] = "RFC 8446 §5.1: \"Handshake messages MUST NOT be interleaved with other record types. "
                     "That is, if a handshake message is split over two or more records, there MUST NOT "
                     "be any other records between them.\" §6.2: \"unexpected_message: An inappropriate "
                     "message (e.g., the wrong handshake message, premature Application Data, etc.) was "
                     "received.\"",
    [R_UNKNOWN_RECORD_TYPE] = "RFC 8446 §5: \"If a TLS implementation receives an unexpected record type, it "
                              "MUST terminate the connection with an \"unexpected_message\" alert.\"",
    [R_NO_INNER_TYPE] =
        "RFC 8446 §5.4: \"If a receiving implementation does not find a non-zero octet in the "
        "cleartext, it MUST terminate the connection with an \"unexpected_message\" alert.\"",
    [R_RECORD_MAC] = "RFC 8446 §5.2: \"If the decryption fails, the receiver MUST terminate the connection "
                     "with a \"bad_record_mac\" alert.\" §6.2: \"bad_record_mac: This alert is returned if a "
                     "record is received which cannot be deprotected.\"",
    [R_INNER_PADDING_OVERFLOW] =
        "RFC 8446 §5.4: \"The presence of padding does not change the overall record size limitations: the "
        "full encoded TLSInnerPlaintext MUST NOT exceed 2^14 + 1 octets.\" §6.2: \"record_overflow: A "
        "TLSCiphertext record was received that had a length more than 2^14 + 256 bytes, or a record "
        "decrypted to a TLSPlaintext record with more than 2^14 bytes (or some other limit negotiated).\"",
    [R_INNER_PADDING_OK] =
        "RFC 8446 §5.4: \"All encrypted TLS records can be padded to inflate the size of the "
        "TLSCiphertext.\" \"the receiving implementation scans the field from the end toward the beginning "
        "until it finds a non-zero octet. This non-zero octet is the content type of the message.\" \"The "
        "presence of padding does not change the overall record size limitations: the full encoded "
        "TLSInnerPlaintext MUST NOT exceed 2^14 + 1 octets.\"",
    [R_COMPAT_CCS] =
        "RFC 8446 §5: \"An implementation which receives any other change_cipher_spec value or which "
        "receives a protected change_cipher_spec record MUST abort the handshake with an "
        "\"unexpected_message\" alert.\"",
    [R_RESUMED_ORDER] =
        "RFC 8446 §2.2 (Figure 3): \"As the server is authenticating via a PSK, it does not send a "
        "Certificate or a CertificateVerify message.\" §4.3.2: \"Servers which are authenticating with a PSK "
        "MUST NOT send the CertificateRequest message in the main handshake\". §4: \"Protocol messages MUST "
        "be "
        "sent in the order defined in Section 4.4.1 and shown in the diagrams in Section 2. A peer which "
        "receives a handshake message in an unexpected order MUST abort the handshake with an "
        "\"unexpected_message\" alert.\"",
    [R_PSK_DECODE] =
        "RFC 8446 §4.2.11: \"PskIdentity identities<7..2^16-1>;\" \"opaque PskBinderEntry<32..255>;\" "
        "\"PskBinderEntry binders<33..2^16-1>;\" §4.2.9: \"PskKeyExchangeMode ke_modes<1..255>;\" §6: "
        "\"Peers which receive a message which cannot be parsed "
        "according to the syntax (e.g., have a length extending beyond the message boundary or contain an "
        "out-of-range length) MUST terminate the connection with a \"decode_error\" alert.\"",
    [R_PSK_BINDER] =
        "RFC 8446 §4.2.11: \"Prior to accepting PSK key establishment, the server MUST validate the "
        "corresponding binder value (see Section 4.2.11.2 below). If this value is not present or does not "
        "validate, the server MUST abort the handshake.\" §6.2: \"decrypt_error: A handshake (not record "
        "layer) cryptographic operation failed, including being unable to correctly verify a signature or "
        "validate a Finished message or a PSK binder.\"",
    [R_PSK_BINDER_LENGTH] =
        "RFC 8446 §4.2.11: \"opaque PskBinderEntry<32..255>;\" \"If this value is not present or does not "
        "validate, the server MUST abort the handshake.\" §6: a message which \"cannot be parsed according "
        "to "
        "the syntax (e.g., ... contain an out-of-range length) MUST terminate the connection with a "
        "\"decode_error\" alert\"; §6.2: \"decrypt_error: ... unable to ... validate a Finished message or a "
        "PSK binder.\" The binder breaks both, so either alert passes.",
    [R_PSK_DECLINE] =
        "RFC 8446 §4.2.11: \"Any unknown PSKs (e.g., ones not in the PSK database or encrypted with an "
        "unknown key) SHOULD simply be ignored.\" §2.2: the client's key_share allows \"the server to "
        "decline resumption and fall back to a full handshake\"",
    [R_PSK_TICKET_TAIL] =
        "RFC 8446 §4.6.1: \"The ticket itself is an opaque label. It MAY be either a database lookup key "
        "or a self-encrypted and self-authenticated value.\" The RFC fixes no format, so whether the "
        "server's "
        "check covers the ticket's last byte is its own design: it resumes, or it ignores the ticket "
        "(§4.2.11: unknown PSKs \"SHOULD simply be ignored\") and falls back to a full handshake (§2.2).",
    [R_PSK_AGE] =
        "RFC 8446 §4.2.11.1: \"The server MUST NOT assume that the ticket age is accurate\"; the age is "
        "checked "
        "for early data (§4.2.10, §8), which this ClientHello does not offer, so the server resumes or falls "
        "back to a full handshake (§2.2).",
    [R_PSK_MODES] =
        "RFC 8446 §4.2.9: \"The server MUST NOT select a key exchange mode that is not listed by the "
        "client.\" §9.3: \"A server receiving a ClientHello MUST correctly ignore all unrecognized cipher "
        "suites, extensions, and other parameters.\" §2.2: the client's key_share allows \"the server to "
        "decline resumption and fall back to a "
        "full handshake\"",
    [R_PSK_SELECTED_IDENTITY] =
        "RFC 8446 §4.2.11: \"Clients MUST verify that the server's selected_identity is within the range "
        "supplied by the client ... If these values are not consistent, the client MUST abort the handshake "
        "with an \"illegal_parameter\" alert.\"",
    [R_EARLY_ORDER] =
        "RFC 8446 §4.5: \"If the server sent an \"early_data\" extension in EncryptedExtensions, the client "
        "MUST send an EndOfEarlyData message after receiving the server Finished.\" §2.3 (Figure 4). §4: "
        "\"A peer which receives a handshake message in an unexpected order MUST abort the handshake with an "
        "\"unexpected_message\" alert.\"",
    [R_EARLY_DATA_LIMIT] =
        "RFC 8446 §4.6.1: \"A server receiving more than max_early_data_size bytes of 0-RTT "
        "data SHOULD terminate the connection with an \"unexpected_message\" alert.\"",
    [R_EARLY_DATA_SIZE_OK] = "RFC 8446 §4.6.1: \"max_early_data_size: The maximum amount of 0-RTT data that "
                             "the client is allowed to send when using this ticket, in bytes.\"",
    [R_EARLY_DATA_AFTER_EOED] =
        "RFC 8446 §4.5: EndOfEarlyData \"indicates that all 0-RTT application_data messages, if any, have "
        "been transmitted and that the following records are protected under handshake traffic keys.\" §5: "
        "\"... application data before the handshake is complete MUST be rejected with an "
        "\"unexpected_message\" alert\"",
};

/* --- TLS 1.2 (RFC 5246) ------------------------------------------------------ */

#define RFC5246_UNEXPECTED                                                                                  \
    "§7.2.2: \"unexpected_message: An inappropriate message was received. This alert is always fatal and " \
    "should "                                                                                               \
    "never be observed in communication between proper implementations.\""
#define RFC5246_DECODE_ERROR                                                                               \
    "§7.2.2: \"decode_error: A message could not be decoded because some field was out of the specified " \
    "range or "                                                                                            \
    "the length of the message was incorrect.\""
#define RFC5246_ILLEGAL_PARAMETER                                                                         \
    "§7.2.2: \"illegal_parameter: A field in the handshake was out of range or inconsistent with other " \
    "fields. "                                                                                            \
    "This message is always fatal.\""

static const char *const rfc5246[N_REQUIREMENTS] = {
    [R_ORDER] =
        "RFC 5246 §7.4: \"The handshake protocol messages are presented below in the order they MUST be "
        "sent; sending handshake messages in an unexpected order results in a fatal "
        "error.\" " RFC5246_UNEXPECTED,
    [R_CCS_ORDER] =
        "RFC 5246 §7.1: \"The ChangeCipherSpec message is sent during the handshake after the security "
        "parameters have been agreed upon, but before the verifying Finished message is sent.\" "
        "§7.4: \"sending handshake messages in an unexpected order results in a fatal "
        "error.\" " RFC5246_UNEXPECTED,
    [R_FINISHED_WITHOUT_CCS] =
        "RFC 5246 §7.4.9: \"It is a fatal error if a Finished message is not preceded by a "
        "ChangeCipherSpec message at the appropriate point in the handshake.\" " RFC5246_UNEXPECTED,
    [R_POST_HANDSHAKE] =
        "RFC 5246 §7.3: \"At this point, the handshake is complete, and the client and server may "
        "begin to exchange application layer data.\" Only HelloRequest (from a server, §7.4.1.1) and "
        "ClientHello (from a client, renegotiation) start a new handshake. " RFC5246_UNEXPECTED,
    [R_DECODE] = "RFC 5246 " RFC5246_DECODE_ERROR,
    [R_CLIENT_HELLO_DECODE] =
        "RFC 5246 §7.4.1.2: \"cipher_suites<2..2^16-2>\", \"compression_methods<1..2^8-1>\"; "
        "\"the server MUST check that the amount of data in the message precisely matches one "
        "of these formats; if not, then it MUST send a fatal \"decode_error\" alert.\"",
    [R_COMPRESSION] = "RFC 5246 §7.4.1.2: \"This vector MUST contain, and all implementations MUST support, "
                      "CompressionMethod.null.\" " RFC5246_ILLEGAL_PARAMETER,
    [R_SH_COMPRESSION] =
        "RFC 5246 §7.4.1.3: \"compression_method: The single compression algorithm selected by the "
        "server from the list in ClientHello.compression_methods.\" " RFC5246_ILLEGAL_PARAMETER,
    [R_SH_SUITE] =
        "RFC 5246 §7.4.1.3: \"cipher_suite: The single cipher suite selected by the server from the list "
        "in ClientHello.cipher_suites.\" " RFC5246_ILLEGAL_PARAMETER,
    [R_CH_VERSION] =
        "RFC 5246 §7.2.2: \"protocol_version: The protocol version the client has attempted to "
        "negotiate is recognized but not supported. (For example, old protocol versions might be "
        "avoided for security reasons.) This message is always fatal.\"",
    [R_SH_VERSION] =
        "RFC 5246 Appendix E.1: \"If the version chosen by the server is not supported by the client "
        "(or not acceptable), the client MUST send a \"protocol_version\" alert message and close the "
        "connection.\"",
    [R_FINISHED] =
        "RFC 5246 §7.4.9: \"Recipients of Finished messages MUST verify that the contents are correct.\" "
        "§7.2.2: \"decrypt_error: A handshake cryptographic operation failed, including being unable to "
        "correctly verify a signature or validate a Finished message.\"",
    [R_FINISHED_LENGTH] =
        "RFC 5246 §7.4.9: \"opaque verify_data[verify_data_length];\" \"Recipients of Finished messages MUST "
        "verify that the contents are correct.\" §7.2.2: \"decrypt_error: A handshake cryptographic "
        "operation "
        "failed, including being unable to correctly verify a signature or validate a Finished message.\" "
        "\"decode_error: A message could not be decoded because some field was out of the specified range or "
        "the length of the message was incorrect.\"",
    [R_PREMATURE_APPDATA] =
        "RFC 5246 §7.3: only once both Finished messages are exchanged \"the handshake is "
        "complete, and the client and server may begin to exchange application layer "
        "data.\" " RFC5246_UNEXPECTED,
    [R_ERROR_ALERT] =
        "RFC 5246 §7.2: \"Alert messages with a level of fatal result in the immediate termination of "
        "the connection.\" §7.2.2: \"Upon transmission or receipt of a fatal alert message, both "
        "parties immediately close the connection.\"",
    [R_WARNING_ALERT] =
        "RFC 5246 §7.2.2: \"If an alert with a level of warning is sent and received, generally the "
        "connection can continue normally.\"",
    [R_CLOSE_NOTIFY] =
        "RFC 5246 §7.2.1: \"close_notify: This message notifies the recipient that the sender will "
        "not send any more messages on this connection.\" \"Any data received after a closure alert "
        "is ignored.\"",
    [R_USER_CANCELED] =
        "RFC 5246 §7.2.2: \"user_canceled: This handshake is being canceled for some reason "
        "unrelated to a protocol failure. ... This alert should be followed by a close_notify.\" "
        "§7.2.1: \"Any data received after a closure alert is ignored.\"",
    [R_TOO_MANY_WARNINGS] =
        "RFC 5246 §7.2.2: \"If an alert with a level of warning is sent and received, "
        "generally the connection can continue normally. If the receiving party decides not to "
        "proceed with the connection ..., it SHOULD send a fatal alert to terminate the "
        "connection.\" " RFC5246_UNEXPECTED,
    [R_PLAINTEXT_AFTER_KEYS] =
        "RFC 5246 §7.1: ChangeCipherSpec notifies \"that subsequent records will be protected "
        "under the newly negotiated CipherSpec and keys.\" §7.2.2: \"bad_record_mac: This "
        "alert is returned if a record is received with an incorrect MAC.\"",
    [R_PLAINTEXT_OVERFLOW] =
        "RFC 5246 §6.2.1: \"length: The length (in bytes) of the following "
        "TLSPlaintext.fragment. The length MUST NOT exceed 2^14.\" §7.2.2: \"record_overflow: "
        "A TLSCiphertext record was received that had a length more than 2^14+2048 bytes, or "
        "a record decrypted to a TLSCompressed record with more than 2^14+1024 bytes.\"",
    [R_CIPHERTEXT_OVERFLOW] =
        "RFC 5246 §6.2.3: \"length: The length (in bytes) of the following "
        "TLSCiphertext.fragment. The length MUST NOT exceed 2^14 + 2048.\" §7.2.2: "
        "\"record_overflow: A TLSCiphertext record was received that had a length more than "
        "2^14+2048 bytes ... This message is always fatal.\"",
    [R_RECORD_LIMIT_OK] =
        "RFC 5246 §6.2.1: \"The length MUST NOT exceed 2^14.\" A record of exactly 2^14 bytes "
        "is within the limit and must be accepted.",
    [R_EMPTY_APPDATA] =
        "RFC 5246 §6.2.1: \"Zero-length fragments of Application data MAY be sent as they are "
        "potentially useful as a traffic analysis countermeasure.\"",
    [R_UNKNOWN_RECORD_TYPE] =
        "RFC 5246 §6: \"If a TLS implementation receives an unexpected record type, it MUST "
        "send an unexpected_message alert.\"",
    [R_CCS_VALUE] =
        "RFC 5246 §7.1: \"The message consists of a single byte of value 1.\" " RFC5246_DECODE_ERROR,
    [R_RESUMED_ORDER] =
        "RFC 5246 §7.3 (Figure 2): \"If a match is found, and the server is willing to re-establish the "
        "connection under the specified session state, it will send a ServerHello with the same Session ID "
        "value. At this point, both client and server MUST send ChangeCipherSpec messages and proceed "
        "directly to Finished messages.\" §7.4: \"sending handshake messages in an unexpected order results "
        "in a fatal error.\" " RFC5246_UNEXPECTED,
    [R_CH_RECORD_VERSION] =
        "RFC 5246 Appendix E.1: \"Thus, TLS server compliant with this specification MUST "
        "accept any value {03,XX} as the record layer version number for ClientHello.\"",
    [R_RECORD_MAC] =
        "RFC 5246 §6.2.3.3: \"If the decryption fails, a fatal bad_record_mac alert MUST be generated.\" "
        "§7.2.2: \"bad_record_mac: This alert is returned if a record is received with an incorrect MAC. "
        "This alert also MUST be returned if an alert is sent because a TLSCiphertext decrypted in an "
        "invalid way: either it wasn't an even multiple of the block length, or its padding values, when "
        "checked, weren't correct.\"",
    [R_CBC_PADDING] =
        "RFC 5246 §6.2.3.2: \"Each uint8 in the padding data vector MUST be filled with the padding length "
        "value. The receiver MUST check this padding and MUST use the bad_record_mac alert to indicate "
        "padding errors.\"",
    [R_CBC_PADDING_OK] =
        "RFC 5246 §6.2.3.2: \"The padding MAY be any length up to 255 bytes, as long as it results in the "
        "TLSCiphertext.length being an integral multiple of the block length.\"",
};

/* The key exchanges the driver plays in TLS 1.2. In the `ticket` profile
 * NewSessionTicket follows the client's Finished (RFC 5077 §3.1): a client
 * under test gets one from the driver, whose ServerHello announces it
 * (§3.2); a server under test (`session-tickets: issue`) answers the
 * driver's ClientHello, which always asks for one. With client
 * authentication (`client-auth: require`) the server under test asks the
 * driver for its "client" certificate, and the client under test is given
 * that credential to present. Resumption is left out: the driver redeems no
 * ticket, and a trace is one connection. */
static const gen_profile profiles12[] = {
    /* gen-alert runs over this one only (its places are a superset of
     * static RSA's). */
    {"ecdhe-ecdsa", "leaf", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", SD_SHAPE_TLS12, SD_SHAPE_TLS12, false,
     NULL, true, false, false, 0, 0, NULL, NULL, NULL, NULL},
    {"ecdhe-rsa", "leaf-rsa", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", SD_SHAPE_TLS12, SD_SHAPE_TLS12, false,
     NULL, false, false, false, 0, 0, NULL, NULL, NULL, NULL},
    {"rsa", "leaf-rsa", "TLS_RSA_WITH_AES_128_GCM_SHA256", SD_SHAPE_TLS12 | SD_SHAPE_RSA_KX,
     SD_SHAPE_TLS12 | SD_SHAPE_RSA_KX, false, NULL, false, false, false, 0, 0, NULL, NULL, NULL, NULL},
    /* Finite-field DHE (RFC 5246 §7.4.3, RFC 7919): the shape of ECDHE's,
     * another ServerKeyExchange and ClientKeyExchange. BoringSSL has no DHE
     * suites and SKIPs these. */
    {"dhe-rsa", "leaf-rsa", "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", SD_SHAPE_TLS12, SD_SHAPE_TLS12, false,
     NULL, false, false, false, 0, 0, NULL, NULL, NULL, NULL},
    {"client-auth", "leaf", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", SD_SHAPE_TLS12 | SD_SHAPE_CLIENT_AUTH,
     SD_SHAPE_TLS12 | SD_SHAPE_CLIENT_AUTH, true, NULL, false, false, false, 0, 0, NULL, NULL, NULL, NULL},
    {"ticket", "leaf", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", SD_SHAPE_TLS12 | SD_SHAPE_TICKET,
     SD_SHAPE_TLS12 | SD_SHAPE_TICKET, false, NULL, false, false, false, 0, 0, NULL, NULL, NULL, NULL},
};

/* TLS 1.3 over a HelloRetryRequest (RFC 8446 §4.1.4), from it on. With the
 * client under test the driver's server sends one for another group the
 * client offered (`send HelloRetryRequest`). With the server under test,
 * the server accepts P-256 only (`groups: secp256r1`) and the driver's
 * ClientHello has an x25519 share only, so the server must ask for a P-256
 * share (§4.1.1), and the driver's second ClientHello carries it and the
 * cookie (§4.1.2). `hrr-client-auth` adds client authentication
 * (`client-auth: require`, §4.3.2): the only TLS 1.3 run of the families
 * over the client's certificate flight. gen-alert runs over `hrr` only. */
static const gen_profile profiles13[] = {
    {"hrr", NULL, NULL, SD_SHAPE_HRR, SD_SHAPE_HRR, false, "secp256r1", true, true, false, 0, 0, NULL, NULL,
     NULL, NULL},
    {"hrr-client-auth", NULL, NULL, SD_SHAPE_HRR | SD_SHAPE_CLIENT_AUTH, SD_SHAPE_HRR | SD_SHAPE_CLIENT_AUTH,
     true, "secp256r1", false, true, false, 0, 0, NULL, NULL, NULL, NULL},
};

/* Resumption (RFC 8446 §2.2): connection 1 is a full handshake after which
 * the server issues a ticket (a server under test: `session-tickets:
 * issue`; the driver as server: `send NewSessionTicket`), and connection 2
 * offers it and resumes: Figure 3, no Certificate or CertificateVerify.
 * `psk` pins a SHA-256 suite, so that the PSK fields' offsets in gen-psk
 * are known; `psk-sha384` gives the binder and Finished 48 bytes;
 * `psk-client-auth` asks for the client's certificate in connection
 * 1, and connection 2 must not ask again (§4.3.2); `0rtt` adds
 * 0-RTT. gen-alert runs over `psk` and `0rtt`. */
static const gen_profile resumption13[] = {
    {"psk", NULL, "TLS_AES_128_GCM_SHA256", SD_SHAPE_PSK, SD_SHAPE_PSK, false, NULL, true, false, true, 0, 0,
     NULL, NULL, NULL, NULL},
    {"psk-sha384", NULL, "TLS_AES_256_GCM_SHA384", SD_SHAPE_PSK, SD_SHAPE_PSK, false, NULL, false, false,
     true, 0, 48, NULL, NULL, NULL, NULL},
    {"psk-client-auth", NULL, "TLS_AES_128_GCM_SHA256", SD_SHAPE_PSK, SD_SHAPE_PSK, true, NULL, false, false,
     true, SD_SHAPE_CLIENT_AUTH, 0, NULL, NULL, NULL, NULL},
    /* 0-RTT (§2.3 Figure 4): connection 1's ticket allows early data
     * (`early-data: on`), connection 2 offers it with data and the server
     * accepts it, so the client's flight is EndOfEarlyData then Finished
     * (§4.5). gen-alert runs over it too: the alerts at EndOfEarlyData's
     * place go under the early keys. */
    {"0rtt", NULL, "TLS_AES_128_GCM_SHA256", SD_SHAPE_PSK | SD_SHAPE_EARLY_DATA,
     SD_SHAPE_PSK | SD_SHAPE_EARLY_DATA, false, NULL, true, false, true, 0, 0, NULL, NULL, NULL, NULL},
};

/* Resumption by session id (RFC 5246 §7.3 Figure 2): connection 1 is a
 * full handshake of the key exchange, in which the server names its
 * session; connection 2 offers that id and the server resumes. In both
 * roles: the driver as a TLS 1.2 server names its session when a later
 * connection follows and resumes it when the client offers it
 * (docs/script-format.md, "Several connections"). `resumed-ticket` (RFC
 * 5077 §3.1): connection 1 announces and issues a ticket, connection 2
 * offers it; the driver as server renews it (Figure 2 with
 * NewSessionTicket), while a server under test is held to the abbreviated
 * handshake without one (the model and BoringSSL renew none; §3.1 leaves it
 * to the server, so a server that does deviates there). gen-alert runs
 * over the first only. */
#define RESUMED12 (SD_SHAPE_TLS12 | SD_SHAPE_RESUMED)
static const gen_profile resumption12[] = {
    {"resumed", "leaf", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", RESUMED12, RESUMED12, false, NULL, true,
     false, true, SD_SHAPE_TLS12, 0, NULL, NULL, NULL, NULL},
    {"resumed-ecdhe-rsa", "leaf-rsa", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", RESUMED12, RESUMED12, false,
     NULL, false, false, true, SD_SHAPE_TLS12, 0, NULL, NULL, NULL, NULL},
    {"resumed-rsa", "leaf-rsa", "TLS_RSA_WITH_AES_128_GCM_SHA256", RESUMED12, RESUMED12, false, NULL, false,
     false, true, SD_SHAPE_TLS12 | SD_SHAPE_RSA_KX, 0, NULL, NULL, NULL, NULL},
    {"resumed-sha384", "leaf", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", RESUMED12, RESUMED12, false, NULL,
     false, false, true, SD_SHAPE_TLS12, 0, NULL, NULL, NULL, NULL},
    {"resumed-client-auth", "leaf", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", RESUMED12, RESUMED12, true,
     NULL, false, false, true, SD_SHAPE_TLS12 | SD_SHAPE_CLIENT_AUTH, 0, NULL, NULL, NULL, NULL},
    {"resumed-ticket", "leaf", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", RESUMED12,
     RESUMED12 | SD_SHAPE_TICKET, false, NULL, false, false, true, SD_SHAPE_TLS12 | SD_SHAPE_TICKET, 0, NULL,
     NULL, NULL, NULL},
};
#undef RESUMED12

/* --- The descriptions -------------------------------------------------------- */

const gen_version gen_tls13 = {
    .id = GEN_TLS13,
    .name = "tls13",
    .number = "1.3",
    .shape_flags = 0,
    .citations = rfc8446,
    .ccs_is_step = false,
    .alert_level_ignored = true,
    .has_hello_request = false,
    .ciphertext_expansion = 256,
    .base_run = true,
    .profiles = profiles13,
    .n_profiles = sizeof(profiles13) / sizeof(profiles13[0]),
    .resumption = resumption13,
    .n_resumption = sizeof(resumption13) / sizeof(resumption13[0]),
};

const gen_version gen_tls12 = {
    .id = GEN_TLS12,
    .name = "tls12",
    .number = "1.2",
    .shape_flags = SD_SHAPE_TLS12,
    .citations = rfc5246,
    .ccs_is_step = true,
    .alert_level_ignored = false,
    .has_hello_request = true,
    .ciphertext_expansion = 2048,
    .base_run = false,
    .profiles = profiles12,
    .n_profiles = sizeof(profiles12) / sizeof(profiles12[0]),
    .resumption = resumption12,
    .n_resumption = sizeof(resumption12) / sizeof(resumption12[0]),
};
