package rules

// Options are the command line's say over loading.
type Options struct {
	// ConfigOverrides are --config key=value pairs; values are parsed as
	// HCL/JSON literals (3, "x", [1,2], {a=1}) and fall back to a plain
	// string. A dotted key (a.b=1) sets a nested value.
	ConfigOverrides []string
	// ConfigFiles are --configfile paths (JSON or YAML), deep-merged over the
	// Rulefile's config block in order, before ConfigOverrides.
	ConfigFiles []string
}
