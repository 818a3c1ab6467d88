/* cmds.h - the beacon's subcommands. Each takes the arguments after the
 * subcommand name (argv[0] is the subcommand) and returns the process exit
 * status: 0 success, 1 failure, 2 usage error. */
#ifndef BSS_CMDS_H
#define BSS_CMDS_H

int cmd_presign(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_agent(int argc, char **argv);
int cmd_keygen(int argc, char **argv);

#endif
