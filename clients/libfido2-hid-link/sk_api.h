/*
 * OpenSSH's security-key provider interface (the "SecurityKeyProvider"
 * middleware that ssh-keygen, ssh and ssh-agent load with dlopen), as its
 * API version 10 (OpenSSH 8.9 to 9.x) defines it. Written from the
 * interface's documentation (OpenSSH's PROTOCOL.u2f); the layouts must
 * match OpenSSH's, member by member.
 */
#ifndef SK_API_H
#define SK_API_H

#include <stddef.h>
#include <stdint.h>

/* Request flags (`flags` of sk_enroll and sk_sign). */
#define SSH_SK_USER_PRESENCE_REQD 0x01
#define SSH_SK_USER_VERIFICATION_REQD 0x04
#define SSH_SK_FORCE_OPERATION 0x10
#define SSH_SK_RESIDENT_KEY 0x20

/* Key algorithms. */
#define SSH_SK_ECDSA 0x00
#define SSH_SK_ED25519 0x01

/* Return values (0 is success). */
#define SSH_SK_ERR_GENERAL -1
#define SSH_SK_ERR_UNSUPPORTED -2
#define SSH_SK_ERR_PIN_REQUIRED -3
#define SSH_SK_ERR_DEVICE_NOT_FOUND -4
#define SSH_SK_ERR_CREDENTIAL_EXISTS -5

#define SSH_SK_VERSION_MAJOR 0x000a0000
#define SSH_SK_VERSION_MAJOR_MASK 0xffff0000

/* What enrolling gives: every buffer is malloc'd and owned by the caller. */
struct sk_enroll_response {
	uint8_t flags;
	/* ECDSA: the uncompressed P-256 point (0x04 || x || y). */
	uint8_t *public_key;
	size_t public_key_len;
	/* The FIDO credential id. */
	uint8_t *key_handle;
	size_t key_handle_len;
	/* The attestation signature and certificate (DER). */
	uint8_t *signature;
	size_t signature_len;
	uint8_t *attestation_cert;
	size_t attestation_cert_len;
	/* The authenticator data as a CBOR byte string. */
	uint8_t *authdata;
	size_t authdata_len;
};

/* What signing gives: the authenticator data's flags and counter and the
 * ECDSA signature's r and s (big-endian). */
struct sk_sign_response {
	uint8_t flags;
	uint32_t counter;
	uint8_t *sig_r;
	size_t sig_r_len;
	uint8_t *sig_s;
	size_t sig_s_len;
};

/* One resident (discoverable) key found on the device. */
struct sk_resident_key {
	uint32_t alg;
	size_t slot;
	char *application;
	struct sk_enroll_response key;
	uint8_t flags;
	uint8_t *user_id;
	size_t user_id_len;
};

/* An option from the command line (`-O name=value`); a NULL-terminated
 * array. A provider must refuse a `required` option it does not know. */
struct sk_option {
	char *name;
	char *value;
	uint8_t required;
};

uint32_t sk_api_version(void);

int sk_enroll(uint32_t alg, const uint8_t *challenge, size_t challenge_len, const char *application,
	      uint8_t flags, const char *pin, struct sk_option **options,
	      struct sk_enroll_response **enroll_response);

int sk_sign(uint32_t alg, const uint8_t *data, size_t data_len, const char *application,
	    const uint8_t *key_handle, size_t key_handle_len, uint8_t flags, const char *pin,
	    struct sk_option **options, struct sk_sign_response **sign_response);

int sk_load_resident_keys(const char *pin, struct sk_option **options, struct sk_resident_key ***rks,
			  size_t *nrks);

#endif
