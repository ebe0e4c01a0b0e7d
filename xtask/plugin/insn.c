/*
 * A QEMU TCG plugin that counts every guest instruction executed, on any
 * guest architecture, and prints the total when QEMU exits:
 *
 *     tock-dev-insn-count: <N>
 *
 * Debian ships no qemu-plugin.h, so the few plugin API functions used here
 * are declared by hand; QEMU exports them to plugins it loads. The counter is
 * bumped before each instruction runs, so the figure repeats exactly from
 * run to run, with two rules:
 *
 * - `wfi` is not counted. It is idle time, not work, and a guest that exits
 *   (a store to the SiFive test device) and then halts in `wfi` races with
 *   QEMU's main loop stopping the CPU: the `wfi` ran in some runs and not in
 *   others. Guests must therefore put nothing but `wfi` after their exit store.
 * - An I/O access that is not the last instruction of its translation block
 *   makes QEMU re-run it in a block of its own, so it counts twice, the same
 *   way every run.
 *
 * Load with: -plugin libinsn.so -d plugin
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPORTED __attribute__((visibility("default")))

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
struct qemu_info_t;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS = 0 };

void qemu_plugin_register_vcpu_tb_trans_cb(
    qemu_plugin_id_t id, void (*cb)(qemu_plugin_id_t, struct qemu_plugin_tb *));
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t index);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
                                            void (*cb)(unsigned int, void *),
                                            enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id,
                                    void (*cb)(qemu_plugin_id_t, void *), void *userdata);
void qemu_plugin_outs(const char *text);
char *qemu_plugin_insn_disas(const struct qemu_plugin_insn *insn);

/* API level 2 is the oldest QEMU 8.2+ accepts; it covers every call above. */
EXPORTED int qemu_plugin_version = 2;

static uint64_t executed;

static void on_instruction(unsigned int vcpu, void *userdata)
{
    (void)vcpu;
    (void)userdata;
    __atomic_fetch_add(&executed, 1, __ATOMIC_RELAXED);
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    size_t count = qemu_plugin_tb_n_insns(tb);
    for (size_t index = 0; index < count; index++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, index);
        char *text = qemu_plugin_insn_disas(insn);
        int is_wait_for_interrupt = text != NULL && strstr(text, "wfi") != NULL;
        free(text);
        if (!is_wait_for_interrupt) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_instruction, QEMU_PLUGIN_CB_NO_REGS,
                                                   NULL);
        }
    }
}

static void on_qemu_exit(qemu_plugin_id_t id, void *userdata)
{
    (void)id;
    (void)userdata;
    char line[64];
    snprintf(line, sizeof line, "tock-dev-insn-count: %" PRIu64 "\n",
             __atomic_load_n(&executed, __ATOMIC_RELAXED));
    qemu_plugin_outs(line);
}

EXPORTED int qemu_plugin_install(qemu_plugin_id_t id, const struct qemu_info_t *info, int argc,
                                 char **argv)
{
    (void)info;
    (void)argc;
    (void)argv;
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, on_qemu_exit, NULL);
    return 0;
}
