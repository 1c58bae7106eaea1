package main

import (
	"io"

	"github.com/spf13/cobra"
)

// addSubcommands gives root its subcommands (fmt, completion, lint,
// report) and reports whether args call one.
//
// The rule, documented in docs/cli.md: a subcommand is recognised only as
// the first argument. Anywhere else the word is a target, so a rule or
// file named fmt stays buildable: "flowmake -n fmt", "flowmake ./fmt" and
// "flowmake -- fmt" build it. Cobra alone would take the first word that
// is not an option as the subcommand ("flowmake -n fmt" would format), so
// when args do not start with one, root gets no subcommands at all; it
// keeps them when no word names one, for --help to list them.
func addSubcommands(root *cobra.Command, args []string, stdout, stderr io.Writer) bool {
	// With subcommands cobra rejects an unknown first word ("unknown
	// command") unless the root accepts any arguments: targets.
	root.Args = cobra.ArbitraryArgs
	// cobra's own completion command would take the word "completion"
	// without completing rule names; flowmake's (completion.go) does.
	root.CompletionOptions.DisableDefaultCmd = true
	root.AddCommand(newFmtCmd(stdout, stderr))
	root.AddCommand(newCompletionCmd(stdout))
	root.AddCommand(newLintCmd(stderr))
	root.AddCommand(newReportCmd(stdout, stderr))
	root.InitDefaultHelpCmd() // "help" is a subcommand too, as cobra makes it
	setupCompletion(root)
	completing := false
	if len(args) > 0 && (args[0] == cobra.ShellCompRequestCmd || args[0] == cobra.ShellCompNoDescRequestCmd) {
		// The shell asks cobra's hidden __complete (added by Execute) to
		// complete the words after it: the same rule applies to them, and
		// cobra parses them itself (no rule-list spreading).
		args, completing = args[1:], true
	}
	if len(args) > 0 && isSubcommand(root, args[0]) {
		return true
	}
	for _, a := range args {
		if isSubcommand(root, a) {
			root.ResetCommands()
			break
		}
	}
	return completing
}

func isSubcommand(root *cobra.Command, word string) bool {
	for _, c := range root.Commands() {
		if c.Name() == word || c.HasAlias(word) {
			return true
		}
	}
	return false
}
