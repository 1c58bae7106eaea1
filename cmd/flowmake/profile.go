package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"

	"github.com/flowmake/flowmake/dag"
)

// A profile is a directory whose config.yaml holds default values for
// flags, keyed by their long names, as Snakemake's profiles do: what a
// cluster needs (executor: slurm, jobs: 100, default-resources: [...])
// written once instead of on every command line. The command line wins.

// profileEnv names the profile used when --profile is not given.
const profileEnv = "FLOWMAKE_PROFILE"

// profileAliases are keys Snakemake profiles use for flowmake's flags.
var profileAliases = map[string]string{"jobs": "cores"}

// notInProfile are flags a profile cannot set: they are read before it,
// or make no sense as a default.
var notInProfile = []string{"profile", "help", "version"}

// applyProfile sets, from the profile named by --profile or
// $FLOWMAKE_PROFILE, every flag the command line did not set.
func applyProfile(cmd *cobra.Command, o *options) error {
	name := o.profile
	if !cmd.Flags().Changed("profile") {
		name = os.Getenv(profileEnv)
	}
	if name == "" {
		return nil
	}
	dir, err := findProfile(name)
	if err != nil {
		return err
	}
	file := filepath.Join(dir, "config.yaml")
	data, err := os.ReadFile(file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return usagef("profile %s has no config.yaml", dir)
		}
		return usagef("profile: %v", err)
	}
	return setFromProfile(cmd.Flags(), file, data)
}

// findProfile resolves a profile as Snakemake does: a directory that
// exists as given, else, for a bare name, the first of
// $XDG_CONFIG_HOME/flowmake/NAME (~/.config/flowmake/NAME) and
// /etc/xdg/flowmake/NAME that exists.
func findProfile(name string) (string, error) {
	if st, err := os.Stat(name); err == nil && st.IsDir() {
		return name, nil
	}
	if strings.ContainsRune(name, filepath.Separator) || name == "." || name == ".." {
		return "", usagef("profile %s: no such directory", name)
	}
	var looked []string
	for _, base := range profileDirs() {
		d := filepath.Join(base, name)
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d, nil
		}
		looked = append(looked, d)
	}
	return "", usagef("profile %q not found: no directory %s, nor %s", name, name, strings.Join(looked, " nor "))
}

// profileDirs are where bare profile names are looked up, user first.
func profileDirs() []string {
	var dirs []string
	if x := os.Getenv("XDG_CONFIG_HOME"); x != "" {
		dirs = append(dirs, filepath.Join(x, "flowmake"))
	} else if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, ".config", "flowmake"))
	}
	return append(dirs, "/etc/xdg/flowmake")
}

// setFromProfile applies a profile's config.yaml (file names it in
// messages) to the flags in fs that are not Changed.
func setFromProfile(flags *pflag.FlagSet, file string, data []byte) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return usagef("profile %s: %v", file, err)
	}
	if len(doc.Content) == 0 {
		return nil // an empty file sets nothing
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return usagef("%s:%d: a profile holds flag: value pairs, e.g. \"executor: slurm\"", file, top.Line)
	}
	var names []string
	flags.VisitAll(func(f *pflag.Flag) {
		if !f.Hidden && !slices.Contains(notInProfile, f.Name) {
			names = append(names, f.Name)
		}
	})
	names = append(names, "jobs")
	seen := map[string]int{}
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		key := k.Value
		name := key
		if a, ok := profileAliases[key]; ok {
			name = a
		}
		if slices.Contains(notInProfile, key) {
			return usagef("%s:%d: %q cannot be set in a profile", file, k.Line, key)
		}
		f := flags.Lookup(name)
		if f == nil || !slices.Contains(names, key) {
			hint := ""
			if s := dag.Closest(key, names); s != "" {
				hint = fmt.Sprintf("; did you mean %q?", s)
			}
			return usagef("%s:%d: unknown key %q: not a flowmake flag%s", file, k.Line, key, hint)
		}
		if line, dup := seen[name]; dup {
			return usagef("%s:%d: %q set twice (first on line %d)", file, k.Line, key, line)
		}
		seen[name] = k.Line
		if f.Changed {
			continue // the command line wins
		}
		if err := setFlag(flags, f, v); err != nil {
			return usagef("%s:%d: %s: %v", file, v.Line, key, err)
		}
	}
	return nil
}

// setFlag sets f from a YAML value: a scalar as if written after the flag,
// a list (for a flag that takes several values) element by element.
func setFlag(flags *pflag.FlagSet, f *pflag.Flag, v *yaml.Node) error {
	_, many := f.Value.(pflag.SliceValue)
	var words []string
	switch {
	case v.Kind == yaml.ScalarNode && v.Tag == "!!null":
		return errors.New("no value given")
	case v.Kind == yaml.ScalarNode:
		words = []string{v.Value}
	case v.Kind == yaml.SequenceNode && many:
		for _, e := range v.Content {
			if e.Kind != yaml.ScalarNode {
				return fmt.Errorf("want %s", valueKind(f))
			}
			words = append(words, e.Value)
		}
	default:
		return fmt.Errorf("want %s", valueKind(f))
	}
	for _, w := range words {
		if err := flags.Set(f.Name, w); err != nil {
			return fmt.Errorf("want %s, got %q", valueKind(f), w)
		}
	}
	return nil
}

// valueKind says in words what a flag takes.
func valueKind(f *pflag.Flag) string {
	switch f.Value.Type() {
	case "bool":
		return "true or false"
	case "int":
		return "a whole number"
	case "float64":
		return "a number"
	case "stringSlice", "stringArray":
		return "a string or a list of strings"
	}
	return "a string"
}
