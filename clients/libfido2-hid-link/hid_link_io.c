/*
 * libfido2 I/O functions over the HID link (see hid_link_io.h). libfido2
 * keeps the CTAPHID framing (channels, INIT, continuation packets,
 * KEEPALIVE); this file moves 64-byte reports: a write gets the report
 * behind a report-ID byte, which the link's interface byte replaces; a read
 * returns the next report of the FIDO interface, skipping keyboard frames.
 */
#define _POSIX_C_SOURCE 200809L

#include "hid_link_io.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum {
	INTERFACE_FIDO = 0x01,
	REPORT_LENGTH = 64,
	FRAME_LENGTH = 1 + REPORT_LENGTH,
	/* CTAPHID: an initialisation packet's command byte has bit 7 set. */
	COMMAND_KEEPALIVE = 0x80 | 0x3b,
	KEEPALIVE_UPNEEDED = 2,
	/* QEMU makes the socket as it starts: wait for it this long. */
	CONNECT_WAIT_MS = 10000,
};

struct hid_link {
	int socket;
	/* Whether this request's touch was already asked for. */
	bool press_requested;
};

static long long now_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static int connect_socket(const char *path)
{
	struct sockaddr_un address;
	if (strlen(path) >= sizeof(address.sun_path)) {
		fprintf(stderr, "hid-link: socket path too long: %s\n", path);
		return -1;
	}
	memset(&address, 0, sizeof(address));
	address.sun_family = AF_UNIX;
	strcpy(address.sun_path, path);
	long long deadline = now_ms() + CONNECT_WAIT_MS;
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		if (connect(fd, (struct sockaddr *)&address, sizeof(address)) == 0)
			return fd;
		int error = errno;
		close(fd);
		if (now_ms() > deadline) {
			fprintf(stderr, "hid-link: cannot connect to %s: %s\n", path, strerror(error));
			return -1;
		}
		struct timespec pause = {.tv_sec = 0, .tv_nsec = 50 * 1000 * 1000};
		nanosleep(&pause, NULL);
	}
}

static void *hid_link_open(const char *path)
{
	struct hid_link *link = calloc(1, sizeof(*link));
	if (link == NULL)
		return NULL;
	link->socket = connect_socket(path);
	if (link->socket < 0) {
		free(link);
		return NULL;
	}
	return link;
}

static void hid_link_close(void *handle)
{
	struct hid_link *link = handle;
	close(link->socket);
	free(link);
}

static int write_all(int fd, const unsigned char *bytes, size_t length)
{
	while (length > 0) {
		ssize_t written = send(fd, bytes, length, MSG_NOSIGNAL);
		if (written < 0 && errno == EINTR)
			continue;
		if (written <= 0)
			return -1;
		bytes += written;
		length -= (size_t)written;
	}
	return 0;
}

/* libfido2 hands over the report ID (0) and the report. */
static int hid_link_write(void *handle, const unsigned char *buffer, size_t length)
{
	struct hid_link *link = handle;
	if (length < 2 || length > FRAME_LENGTH)
		return -1;
	unsigned char frame[FRAME_LENGTH] = {INTERFACE_FIDO};
	memcpy(frame + 1, buffer + 1, length - 1);
	if (write_all(link->socket, frame, sizeof(frame)) < 0)
		return -1;
	link->press_requested = false;
	return (int)length;
}

/* Reads one whole frame; -1 on error or when `deadline` (ms, or -1 for
 * none) passes. A frame once begun is read to its end. */
static int read_frame(struct hid_link *link, unsigned char frame[FRAME_LENGTH], long long deadline)
{
	size_t have = 0;
	while (have < FRAME_LENGTH) {
		int wait = -1;
		if (deadline >= 0 && have == 0) {
			long long left = deadline - now_ms();
			if (left <= 0)
				return -1;
			wait = (int)left;
		}
		struct pollfd readable = {.fd = link->socket, .events = POLLIN};
		int ready = poll(&readable, 1, wait);
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready <= 0)
			return -1;
		ssize_t got = recv(link->socket, frame + have, FRAME_LENGTH - have, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			fprintf(stderr, "hid-link: the link closed (QEMU ended?)\n");
			return -1;
		}
		have += (size_t)got;
	}
	return 0;
}

/* Runs TOCK_FIDO_PRESS with its output on stderr (stdout may be a
 * protocol channel, as in ssh-sk-helper), or asks the user. */
static void request_press(void)
{
	const char *command = getenv(HID_LINK_PRESS_VARIABLE);
	if (command == NULL || command[0] == '\0') {
		fprintf(stderr, "hid-link: touch the security key (type ESC B 0 on the device's console)\n");
		return;
	}
	pid_t child = fork();
	if (child == 0) {
		int null_input = open("/dev/null", O_RDONLY);
		if (null_input >= 0)
			dup2(null_input, 0);
		dup2(2, 1);
		execl("/bin/sh", "sh", "-c", command, (char *)NULL);
		_exit(127);
	}
	int status = 0;
	if (child < 0 || waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fprintf(stderr, "hid-link: %s (%s) failed\n", HID_LINK_PRESS_VARIABLE, command);
}

static void watch_keepalive(struct hid_link *link, const unsigned char *report)
{
	if (report[4] == COMMAND_KEEPALIVE && report[7] == KEEPALIVE_UPNEEDED && !link->press_requested) {
		link->press_requested = true;
		request_press();
	}
}

static int hid_link_read(void *handle, unsigned char *buffer, size_t length, int ms)
{
	struct hid_link *link = handle;
	long long deadline = ms < 0 ? -1 : now_ms() + ms;
	unsigned char frame[FRAME_LENGTH];
	do {
		if (read_frame(link, frame, deadline) < 0)
			return -1;
	} while (frame[0] != INTERFACE_FIDO);
	watch_keepalive(link, frame + 1);
	size_t copied = length < REPORT_LENGTH ? length : REPORT_LENGTH;
	memcpy(buffer, frame + 1, copied);
	return (int)copied;
}

int hid_link_install(fido_dev_t *dev)
{
	static const fido_dev_io_t functions = {
		.open = hid_link_open,
		.close = hid_link_close,
		.read = hid_link_read,
		.write = hid_link_write,
	};
	return fido_dev_set_io_functions(dev, &functions);
}
