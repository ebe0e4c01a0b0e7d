// What crt0 promises apps and tools: its exit codes.
#pragma once

// Exit codes of a process stopped by crt0 before main, chosen far from the
// small numbers apps use. A fixed-address image placed at another flash or
// RAM address than it was linked for stops with one of these.
#define TOCK_CRT0_EXIT_WRONG_FLASH_ADDRESS 0xC0DE0F1Au
#define TOCK_CRT0_EXIT_WRONG_RAM_ADDRESS 0xC0DE0BA3u
