package main

import (
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/flowmake/flowmake/rules"
)

func newCompletionCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish",
		Short: "Print a shell completion script (rule names, flags, subcommands)",
		Long: `completion prints a script that makes the shell complete flowmake's flags,
subcommands and, as TARGETs, the rule names of the Rulefile (-s, -C on the
line being completed are honoured), besides file names. To use it:

  bash:  source <(flowmake completion bash)      (in ~/.bashrc; needs the
                                                 bash-completion package)
  zsh:   source <(flowmake completion zsh)       (in ~/.zshrc, after compinit)
  fish:  flowmake completion fish | source       (in ~/.config/fish/config.fish)`,
		Args:                  cobra.ExactArgs(1),
		ValidArgs:             []string{"bash", "zsh", "fish"},
		DisableFlagsInUseLine: true,
		SilenceUsage:          true,
		SilenceErrors:         true,
		RunE: func(cmd *cobra.Command, args []string) error {
			root := cmd.Root()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(stdout, true)
			case "zsh":
				return root.GenZshCompletion(stdout)
			case "fish":
				return root.GenFishCompletion(stdout, true)
			}
			return usagef("completion takes bash, zsh or fish, not %q", args[0])
		},
	}
}

// setupCompletion makes root complete TARGETs and the rule-list flags
// with rule names, and --executor with its values.
func setupCompletion(root *cobra.Command) {
	// Rule names and file names: a TARGET is either.
	root.ValidArgsFunction = func(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		return targetRuleNames(cmd), cobra.ShellCompDirectiveDefault
	}
	ruleNames := func(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		return targetRuleNames(cmd), cobra.ShellCompDirectiveNoFileComp
	}
	for _, name := range []string{"forcerun", "until"} {
		root.RegisterFlagCompletionFunc(name, ruleNames)
	}
	root.RegisterFlagCompletionFunc("executor", cobra.FixedCompletions([]string{"local", "slurm"}, cobra.ShellCompDirectiveNoFileComp))
}

// targetRuleNames are the rules without wildcards of the Rulefile that
// cmd's -s and -C name (cobra has parsed the line being completed), as
// --list-target-rules prints them. A Rulefile that does not load gives
// none: completion must never print errors into the user's prompt.
func targetRuleNames(cmd *cobra.Command) []string {
	dir, _ := cmd.Flags().GetString("directory")
	rulefile, _ := cmd.Flags().GetString("rulefile")
	if dir == "" {
		dir = "."
	}
	if rulefile == "" {
		rulefile = filepath.Join(dir, "Rulefile")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil
	}
	wf, diags := rules.Load(rulefile, rules.Options{Dir: abs})
	if diags.HasErrors() || wf == nil {
		return nil
	}
	var names []string
	for _, r := range wf.Rules {
		if len(r.Wildcards()) == 0 {
			names = append(names, r.Name)
		}
	}
	return names
}
