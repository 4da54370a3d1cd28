package process

import "syscall"

// Command is a Spec resolved for execution: what ForkExec needs.
type Command struct {
	Path string   // the file to execute
	Argv []string // argv[0] is the command as given
	Dir  string
	Env  []string
	Cred *syscall.Credential // nil: the agent's own
}

// Resolve validates spec and resolves it against the manager's defaults as
// Start does: the working directory (which must exist), the environment
// overlay, the PATH lookup and the uid/gid switch. A malformed Spec is a
// *ValidationError, a command that cannot be started a *StartError.
// Spec.TimeoutMs, Stdin and Tag play no part here.
func (m *Manager) Resolve(spec Spec) (Command, error) {
	if err := spec.validate(); err != nil {
		return Command{}, err
	}
	cwd := spec.Cwd
	if cwd == "" {
		cwd = m.cfg.Workdir
	}
	if err := checkDir(cwd); err != nil {
		return Command{}, err
	}
	env := mergeEnv(m.cfg.Env, spec.Env)
	path, err := resolveCommand(spec.Cmd, cwd, lookupEnv(env, "PATH"))
	if err != nil {
		return Command{}, err
	}
	return Command{
		Path: path,
		Argv: append([]string{spec.Cmd}, spec.Args...),
		Dir:  cwd,
		Env:  env,
		Cred: credential(spec.UID, spec.GID),
	}, nil
}

// Getenv is the value of key in the environment a process started with the
// overlay env would get ("" when unset).
func (m *Manager) Getenv(env map[string]string, key string) string {
	if v, ok := env[key]; ok {
		return v
	}
	return lookupEnv(m.cfg.Env, key)
}

// Closing reports whether the manager refuses new processes (shutdown).
func (m *Manager) Closing() bool { return m.procs.Closed() }
