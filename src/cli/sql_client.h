/*
 * sql_client.h: `spate sql`, Flink's SQL client (sql-client.sh) for Spate.
 *
 *   spate sql [-f script.sql] [-i init.sql] [-D key=value]... [-m host:port] [--history file]
 *
 * Statements end with ';' and may span lines. Without -f and with a terminal on stdin, the
 * client is interactive: a prompt with line editing and history (libedit), kept in --history
 * (default ~/.spate-sql-history). With -f, or when stdin is not a terminal, it runs the script's
 * statements in order, echoing each after the prompt as Flink's client does, and stops at the
 * first that fails, with exit code 1. -i runs an initialisation script first (its statements set
 * up the session: SET, CREATE ...), printing only failures.
 *
 * Results are drawn as Flink's client draws them: "[INFO] ..." messages, "[ERROR] Could not
 * execute SQL statement. Reason:" followed by the error, and tables in the tableau layout
 * (cli/sql_tableau.h).
 */
#ifndef SPATE_CLI_SQL_CLIENT_H
#define SPATE_CLI_SQL_CLIENT_H

/* `spate sql <argv...>` (argv after "sql"); returns the process's exit code. */
int sql_client_main(int argc, char **argv);

#endif
