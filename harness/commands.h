/*
 * commands.h - the kbench commands.  Each takes argv with argv[0] = its own
 * name and returns the process exit code (diag.h).
 */
#ifndef KBENCH_HARNESS_COMMANDS_H
#define KBENCH_HARNESS_COMMANDS_H

int kb_cmd_list(int argc, char **argv);
int kb_cmd_verify(int argc, char **argv);
int kb_cmd_run(int argc, char **argv);
int kb_cmd_topo(int argc, char **argv);
int kb_cmd_peak(int argc, char **argv);
int kb_cmd_compare(int argc, char **argv);
int kb_cmd_history(int argc, char **argv);
int kb_cmd_report(int argc, char **argv);
int kb_cmd_check_plugin(int argc, char **argv);

#endif
