/*
 * An OpenSSH security-key provider (sk_api.h) for the Tock CTAP2 app on
 * QEMU: ssh-keygen, ssh and ssh-agent load it (`-w provider.so`, or
 * SSH_SK_PROVIDER) and it talks to the device through libfido2 over the HID
 * link socket (hid_link_io.h).
 *
 * The device: the `device` option (`-O device=PATH`), else the socket path
 * in TOCK_FIDO_SOCKET. Other options: `user=NAME` (the user id of a
 * resident key). User presence: TOCK_FIDO_PRESS (hid_link_io.h).
 * TOCK_FIDO_DEBUG=1 turns on libfido2's debug log (stderr).
 *
 * ECDSA P-256 keys only (the app makes no Ed25519 credentials).
 */
#define _POSIX_C_SOURCE 200809L

#include "hid_link_io.h"
#include "sk_api.h"

#include <fido.h>
#include <fido/credman.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SOCKET_VARIABLE "TOCK_FIDO_SOCKET"
/* The CTAP2 authenticator-data flag "user verified". */
#define FLAG_USER_VERIFIED 0x04
/* ECDSA public keys travel as an uncompressed point. */
#define POINT_UNCOMPRESSED 0x04

uint32_t sk_api_version(void)
{
	return SSH_SK_VERSION_MAJOR;
}

/* Says why a request failed; not for a missing PIN, which OpenSSH asks
 * for and retries with. */
static void debug_log(const char *what, int status)
{
	if (status != FIDO_ERR_PIN_REQUIRED)
		fprintf(stderr, "tock-sk-provider: %s: %s (%d)\n", what, fido_strerr(status), status);
}

/* A libfido2 status as the provider interface's error. */
static int provider_error(int status)
{
	switch (status) {
	case FIDO_OK:
		return 0;
	case FIDO_ERR_PIN_REQUIRED:
	case FIDO_ERR_PIN_INVALID:
	case FIDO_ERR_PIN_AUTH_BLOCKED:
	case FIDO_ERR_UV_BLOCKED:
		return SSH_SK_ERR_PIN_REQUIRED;
	case FIDO_ERR_CREDENTIAL_EXCLUDED:
		return SSH_SK_ERR_CREDENTIAL_EXISTS;
	case FIDO_ERR_UNSUPPORTED_ALGORITHM:
	case FIDO_ERR_UNSUPPORTED_OPTION:
		return SSH_SK_ERR_UNSUPPORTED;
	case FIDO_ERR_NO_CREDENTIALS:
		return SSH_SK_ERR_DEVICE_NOT_FOUND;
	default:
		return SSH_SK_ERR_GENERAL;
	}
}

/* Reads the options: the device path and the user name. -1 when a
 * required option is unknown. */
static int read_options(struct sk_option **options, const char **device, const char **user)
{
	*device = getenv(SOCKET_VARIABLE);
	*user = NULL;
	for (size_t i = 0; options != NULL && options[i] != NULL; i++) {
		if (strcmp(options[i]->name, "device") == 0) {
			*device = options[i]->value;
		} else if (strcmp(options[i]->name, "user") == 0) {
			*user = options[i]->value;
		} else if (options[i]->required) {
			fprintf(stderr, "tock-sk-provider: unknown required option %s\n", options[i]->name);
			return -1;
		}
	}
	return 0;
}

/* Opens the device; NULL (with the reason on stderr) when it is not there. */
static fido_dev_t *open_device(struct sk_option **options, const char **user, int *error)
{
	const char *path = NULL;
	*error = SSH_SK_ERR_UNSUPPORTED;
	if (read_options(options, &path, user) < 0)
		return NULL;
	*error = SSH_SK_ERR_DEVICE_NOT_FOUND;
	if (path == NULL || path[0] == '\0') {
		fprintf(stderr, "tock-sk-provider: no device: set %s to the HID link socket or pass -O device=PATH\n",
			SOCKET_VARIABLE);
		return NULL;
	}
	fido_init(getenv("TOCK_FIDO_DEBUG") != NULL ? FIDO_DEBUG : 0);
	fido_dev_t *dev = fido_dev_new();
	if (dev == NULL)
		return NULL;
	int status = hid_link_install(dev);
	if (status == FIDO_OK)
		status = fido_dev_open(dev, path);
	if (status != FIDO_OK) {
		debug_log("fido_dev_open", status);
		fido_dev_free(&dev);
		return NULL;
	}
	*error = 0;
	return dev;
}

static void close_device(fido_dev_t **dev)
{
	fido_dev_close(*dev);
	fido_dev_free(dev);
}

static uint8_t *copy_bytes(const unsigned char *bytes, size_t length)
{
	uint8_t *copy = malloc(length == 0 ? 1 : length);
	if (copy != NULL && length > 0)
		memcpy(copy, bytes, length);
	return copy;
}

/* 0x04 || x || y from libfido2's raw ES256 key (x || y). */
static int copy_point(const fido_cred_t *cred, uint8_t **point, size_t *length)
{
	size_t raw = fido_cred_pubkey_len(cred);
	if (fido_cred_type(cred) != COSE_ES256 || raw != 64)
		return SSH_SK_ERR_UNSUPPORTED;
	*point = malloc(raw + 1);
	if (*point == NULL)
		return SSH_SK_ERR_GENERAL;
	(*point)[0] = POINT_UNCOMPRESSED;
	memcpy(*point + 1, fido_cred_pubkey_ptr(cred), raw);
	*length = raw + 1;
	return 0;
}

static void free_enroll_fields(struct sk_enroll_response *response)
{
	free(response->public_key);
	free(response->key_handle);
	free(response->signature);
	free(response->attestation_cert);
	free(response->authdata);
}

static int fill_enroll_response(const fido_cred_t *cred, struct sk_enroll_response *response)
{
	response->flags = fido_cred_flags(cred);
	int error = copy_point(cred, &response->public_key, &response->public_key_len);
	if (error != 0)
		return error;
	response->key_handle = copy_bytes(fido_cred_id_ptr(cred), fido_cred_id_len(cred));
	response->key_handle_len = fido_cred_id_len(cred);
	response->signature = copy_bytes(fido_cred_sig_ptr(cred), fido_cred_sig_len(cred));
	response->signature_len = fido_cred_sig_len(cred);
	response->attestation_cert = copy_bytes(fido_cred_x5c_ptr(cred), fido_cred_x5c_len(cred));
	response->attestation_cert_len = fido_cred_x5c_len(cred);
	response->authdata = copy_bytes(fido_cred_authdata_ptr(cred), fido_cred_authdata_len(cred));
	response->authdata_len = fido_cred_authdata_len(cred);
	if (!response->key_handle || !response->signature || !response->attestation_cert || !response->authdata)
		return SSH_SK_ERR_GENERAL;
	return 0;
}

/* The credential's parameters for enrolling. */
static int describe_credential(fido_cred_t *cred, const uint8_t *challenge, size_t challenge_len,
			       const char *application, uint8_t flags, const char *user)
{
	/* The user id of a resident key: its name, or 32 zero bytes. */
	static const unsigned char anonymous[32];
	const unsigned char *user_id = user ? (const unsigned char *)user : anonymous;
	size_t user_id_len = user ? strlen(user) : sizeof(anonymous);
	int status = fido_cred_set_type(cred, COSE_ES256);
	if (status == FIDO_OK)
		status = fido_cred_set_clientdata(cred, challenge, challenge_len);
	if (status == FIDO_OK)
		status = fido_cred_set_rp(cred, application, NULL);
	if (status == FIDO_OK)
		status = fido_cred_set_user(cred, user_id, user_id_len, user ? user : "openssh", NULL, NULL);
	if (status == FIDO_OK)
		status = fido_cred_set_rk(cred, flags & SSH_SK_RESIDENT_KEY ? FIDO_OPT_TRUE : FIDO_OPT_OMIT);
	return status;
}

int sk_enroll(uint32_t alg, const uint8_t *challenge, size_t challenge_len, const char *application,
	      uint8_t flags, const char *pin, struct sk_option **options,
	      struct sk_enroll_response **enroll_response)
{
	if (alg != SSH_SK_ECDSA || enroll_response == NULL)
		return SSH_SK_ERR_UNSUPPORTED;
	if ((flags & SSH_SK_USER_VERIFICATION_REQD) && pin == NULL)
		return SSH_SK_ERR_PIN_REQUIRED;
	const char *user = NULL;
	int error = 0;
	fido_dev_t *dev = open_device(options, &user, &error);
	if (dev == NULL)
		return error;
	fido_cred_t *cred = fido_cred_new();
	int status = describe_credential(cred, challenge, challenge_len, application, flags, user);
	if (status == FIDO_OK)
		status = fido_dev_make_cred(dev, cred, pin);
	if (status == FIDO_OK)
		status = fido_cred_verify(cred);
	struct sk_enroll_response *response = NULL;
	if (status != FIDO_OK) {
		debug_log("authenticatorMakeCredential", status);
		error = provider_error(status);
	} else if ((response = calloc(1, sizeof(*response))) == NULL) {
		error = SSH_SK_ERR_GENERAL;
	} else if ((error = fill_enroll_response(cred, response)) != 0) {
		free_enroll_fields(response);
		free(response);
	} else {
		*enroll_response = response;
	}
	fido_cred_free(&cred);
	close_device(&dev);
	return error;
}

/* r and s of a DER ECDSA signature, big-endian, without leading zeros. */
static int split_signature(const unsigned char *der, size_t length, struct sk_sign_response *response)
{
	ECDSA_SIG *signature = d2i_ECDSA_SIG(NULL, &der, (long)length);
	if (signature == NULL)
		return SSH_SK_ERR_GENERAL;
	const BIGNUM *r = NULL, *s = NULL;
	ECDSA_SIG_get0(signature, &r, &s);
	response->sig_r_len = (size_t)BN_num_bytes(r);
	response->sig_s_len = (size_t)BN_num_bytes(s);
	response->sig_r = calloc(1, response->sig_r_len + 1);
	response->sig_s = calloc(1, response->sig_s_len + 1);
	int error = 0;
	if (response->sig_r == NULL || response->sig_s == NULL)
		error = SSH_SK_ERR_GENERAL;
	else {
		BN_bn2bin(r, response->sig_r);
		BN_bn2bin(s, response->sig_s);
	}
	ECDSA_SIG_free(signature);
	return error;
}

static int describe_assertion(fido_assert_t *assert, const uint8_t *data, size_t data_len,
			      const char *application, const uint8_t *key_handle, size_t key_handle_len,
			      uint8_t flags)
{
	/* The client data hash is SHA-256(data): what OpenSSH verifies. */
	int status = fido_assert_set_clientdata(assert, data, data_len);
	if (status == FIDO_OK)
		status = fido_assert_set_rp(assert, application);
	if (status == FIDO_OK)
		status = fido_assert_allow_cred(assert, key_handle, key_handle_len);
	if (status == FIDO_OK)
		status = fido_assert_set_up(assert, flags & SSH_SK_USER_PRESENCE_REQD ? FIDO_OPT_TRUE : FIDO_OPT_FALSE);
	return status;
}

int sk_sign(uint32_t alg, const uint8_t *data, size_t data_len, const char *application,
	    const uint8_t *key_handle, size_t key_handle_len, uint8_t flags, const char *pin,
	    struct sk_option **options, struct sk_sign_response **sign_response)
{
	if (alg != SSH_SK_ECDSA || sign_response == NULL)
		return SSH_SK_ERR_UNSUPPORTED;
	if ((flags & SSH_SK_USER_VERIFICATION_REQD) && pin == NULL)
		return SSH_SK_ERR_PIN_REQUIRED;
	const char *user = NULL;
	int error = 0;
	fido_dev_t *dev = open_device(options, &user, &error);
	if (dev == NULL)
		return error;
	fido_assert_t *assert = fido_assert_new();
	int status = describe_assertion(assert, data, data_len, application, key_handle, key_handle_len, flags);
	if (status == FIDO_OK)
		status = fido_dev_get_assert(dev, assert, pin);
	struct sk_sign_response *response = NULL;
	if (status != FIDO_OK) {
		debug_log("authenticatorGetAssertion", status);
		error = provider_error(status);
	} else if ((flags & SSH_SK_USER_VERIFICATION_REQD) && !(fido_assert_flags(assert, 0) & FLAG_USER_VERIFIED)) {
		fprintf(stderr, "tock-sk-provider: the device did not verify the user\n");
		error = SSH_SK_ERR_GENERAL;
	} else if ((response = calloc(1, sizeof(*response))) == NULL) {
		error = SSH_SK_ERR_GENERAL;
	} else {
		response->flags = fido_assert_flags(assert, 0);
		response->counter = fido_assert_sigcount(assert, 0);
		error = split_signature(fido_assert_sig_ptr(assert, 0), fido_assert_sig_len(assert, 0), response);
		if (error != 0) {
			free(response->sig_r);
			free(response->sig_s);
			free(response);
		} else {
			*sign_response = response;
		}
	}
	fido_assert_free(&assert);
	close_device(&dev);
	return error;
}

/* Appends the ssh: credentials of relying party `rp_id` to `keys`. */
static int load_party(fido_dev_t *dev, const char *rp_id, const char *pin, struct sk_resident_key ***keys,
		      size_t *count)
{
	fido_credman_rk_t *found = fido_credman_rk_new();
	int status = fido_credman_get_dev_rk(dev, rp_id, found, pin);
	if (status != FIDO_OK) {
		debug_log("authenticatorCredentialManagement enumerateCredentials", status);
		fido_credman_rk_free(&found);
		return provider_error(status);
	}
	int error = 0;
	for (size_t i = 0; i < fido_credman_rk_count(found) && error == 0; i++) {
		const fido_cred_t *cred = fido_credman_rk(found, i);
		if (fido_cred_type(cred) != COSE_ES256)
			continue;
		struct sk_resident_key **grown = realloc(*keys, (*count + 1) * sizeof(**keys));
		struct sk_resident_key *key = calloc(1, sizeof(*key));
		if (grown == NULL || key == NULL) {
			free(key);
			if (grown != NULL)
				*keys = grown;
			error = SSH_SK_ERR_GENERAL;
			break;
		}
		*keys = grown;
		key->alg = SSH_SK_ECDSA;
		key->slot = i;
		key->application = strdup(rp_id);
		key->flags = SSH_SK_USER_PRESENCE_REQD;
		if (fido_cred_prot(cred) == FIDO_CRED_PROT_UV_REQUIRED)
			key->flags |= SSH_SK_USER_VERIFICATION_REQD;
		key->user_id = copy_bytes(fido_cred_user_id_ptr(cred), fido_cred_user_id_len(cred));
		key->user_id_len = fido_cred_user_id_len(cred);
		key->key.key_handle = copy_bytes(fido_cred_id_ptr(cred), fido_cred_id_len(cred));
		key->key.key_handle_len = fido_cred_id_len(cred);
		error = copy_point(cred, &key->key.public_key, &key->key.public_key_len);
		(*keys)[(*count)++] = key;
		if (key->application == NULL || key->user_id == NULL || key->key.key_handle == NULL)
			error = SSH_SK_ERR_GENERAL;
	}
	fido_credman_rk_free(&found);
	return error;
}

static void free_resident_keys(struct sk_resident_key **keys, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(keys[i]->application);
		free(keys[i]->user_id);
		free_enroll_fields(&keys[i]->key);
		free(keys[i]);
	}
	free(keys);
}

int sk_load_resident_keys(const char *pin, struct sk_option **options, struct sk_resident_key ***rks,
			  size_t *nrks)
{
	/* Listing credentials takes a PIN token (credential management). */
	if (pin == NULL)
		return SSH_SK_ERR_PIN_REQUIRED;
	const char *user = NULL;
	int error = 0;
	fido_dev_t *dev = open_device(options, &user, &error);
	if (dev == NULL)
		return error;
	fido_credman_rp_t *parties = fido_credman_rp_new();
	int status = fido_credman_get_dev_rp(dev, parties, pin);
	struct sk_resident_key **keys = NULL;
	size_t count = 0;
	if (status != FIDO_OK) {
		debug_log("authenticatorCredentialManagement enumerateRPs", status);
		error = provider_error(status);
	}
	for (size_t i = 0; status == FIDO_OK && error == 0 && i < fido_credman_rp_count(parties); i++) {
		const char *rp_id = fido_credman_rp_id(parties, i);
		if (rp_id != NULL && strncmp(rp_id, "ssh:", 4) == 0)
			error = load_party(dev, rp_id, pin, &keys, &count);
	}
	fido_credman_rp_free(&parties);
	close_device(&dev);
	if (error != 0) {
		free_resident_keys(keys, count);
		return error;
	}
	*rks = keys;
	*nrks = count;
	return 0;
}
