# Helpers shared by the default rules. Input document: docs/rego.md (input.version 1).
#
# The index helpers below (writes, execs: computed once per evaluation; by_base, by_dir,
# exec_by_name: lookups) start from input.index, so rules look events up by file name, directory or
# executable name instead of each rule scanning every event of the batch.
package otelarmor.lib

# O_ACCMODE = 3 (O_WRONLY 1, O_RDWR 2); O_CREAT = 0o100 = 64; O_TRUNC = 0o1000 = 512.
open_syscalls := {"open", "openat", "openat2", "creat"}

unlink_syscalls := {"unlink", "unlinkat", "rmdir"}

exec_syscalls := {"execve", "execveat", "sched_process_exec"}

shells := {"sh", "bash", "zsh", "dash", "ash", "ksh", "mksh", "pdksh", "csh", "tcsh", "fish", "busybox"}

in_container(e) if object.get(e, "ContainerID", "") != ""

basename(p) := b if {
	parts := split(p, "/")
	b := parts[count(parts) - 1]
}

# The process the event belongs to (for exec events: the new image).
proc(e) := object.get(e, "ProcessName", "")

proc_base(e) := basename(proc(e))

parent(e) := object.get(e, "ParentProcessName", "")

# Absolute path of a file or exec event.
path(e) := object.get(e.extras, "path", object.get(e, "Resource", ""))

flags(e) := object.get(e.extras, "openFlags", 0)

# -ENOENT: nothing was opened or executed (execvp walking PATH, probing for optional files).
attempted(e) if e.extras.retval != -2

is_open(e) if {
	e.extras.syscall in open_syscalls
	attempted(e)
}

is_exec(e) if {
	e.Operation == "Process"
	e.extras.syscall in exec_syscalls
	attempted(e)
}

# Opened for writing: write access mode, or creating, or truncating.
open_for_write(e) if {
	is_open(e)
	bits.and(flags(e), 3) != 0
}

open_for_write(e) if {
	is_open(e)
	bits.and(flags(e), 576) != 0 # O_CREAT | O_TRUNC
}

open_read_only(e) if {
	is_open(e)
	bits.and(flags(e), 3) == 0
	bits.and(flags(e), 576) == 0
}

is_unlink(e) if {
	e.extras.syscall in unlink_syscalls
	attempted(e)
}

# Written, created, truncated or removed.
modified(e) if open_for_write(e)

modified(e) if is_unlink(e)

truncated(e) if {
	is_open(e)
	bits.and(flags(e), 512) != 0
}

args(e) := object.get(e.extras, "args", [])

# argv[0] may name a multi-call binary's applet (modprobe → kmod): match on both names.
exec_names(e) := {basename(path(e)), basename(argv0(e))}

argv0(e) := a if {
	a := args(e)[0]
} else := ""

cmdline(e) := concat(" ", args(e))

shell_config_names := {
	".bashrc", ".bash_profile", ".bash_login", ".bash_logout", ".profile",
	".zshrc", ".zshenv", ".zprofile", ".zlogin", ".zlogout",
	".kshrc", ".mkshrc", ".cshrc", ".tcshrc", ".login", ".logout",
}

shell_config_paths := {
	"/etc/profile", "/etc/bash.bashrc", "/etc/bashrc", "/etc/bash.bash_logout",
	"/etc/zshrc", "/etc/zsh/zshrc", "/etc/zprofile", "/etc/zsh/zprofile", "/etc/zshenv", "/etc/zsh/zshenv",
	"/etc/zlogin", "/etc/zsh/zlogin", "/etc/csh.cshrc", "/etc/csh.login", "/etc/environment",
}

shell_config_file(p) if basename(p) in shell_config_names

shell_config_file(p) if p in shell_config_paths

shell_config_file(p) if startswith(p, "/etc/profile.d/")

cron_file(p) if p == "/etc/crontab"

cron_dirs := {"/etc/cron.d/", "/etc/cron.hourly/", "/etc/cron.daily/", "/etc/cron.weekly/", "/etc/cron.monthly/"}

cron_file(p) if {
	some d in cron_dirs
	startswith(p, d)
}

cron_file(p) if startswith(p, "/var/spool/cron/")

account_files := {"/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow", "/etc/sudoers"}

account_file(p) if p in account_files

account_file(p) if startswith(p, "/etc/sudoers.d/")

package_managers := {
	"apt", "apt-get", "aptitude", "dpkg", "yum", "dnf", "microdnf", "rpm",
	"apk", "zypper", "pacman", "pip", "pip3", "gem", "conda",
}

# ---- per-batch indexes -------------------------------------------------------------------------
#
# input.index (docs/rego.md) lists, for the events of one call, which ones have a given path base
# name, directory, syscall or executable name, and which opened with write/create/truncate flags.
# The engine builds those lists outside Wasm; the helpers below keep only the events that satisfy
# the same predicates as before (an attempted open or removal, an attempted exec), so rules look a
# handful of candidates up instead of scanning every event.

candidates(kind, key) := object.get(object.get(input.index, kind, {}), key, [])

# Indexes of File events that wrote, created, truncated or removed a file.
writes contains i if {
	some i in input.index.writeFlags
	open_for_write(input.events[i])
}

writes contains i if {
	some s in unlink_syscalls
	some i in candidates("syscall", s)
	is_unlink(input.events[i])
}

# File events (attempted opens and removals) whose path has last component b.
by_base(b) := {i | some i in candidates("base", b); file_event(input.events[i])}

# File events whose path is directly in directory d ("/etc/sudoers.d/x" is in "/etc/sudoers.d").
by_dir(d) := {i | some i in candidates("dir", d); file_event(input.events[i])}

file_event(e) if is_open(e)

file_event(e) if is_unlink(e)

# Indexes of executions that happened (or were denied), and the same by executable name
# (basename of the image or of argv[0]).
execs contains i if {
	some s in exec_syscalls
	some i in candidates("syscall", s)
	is_exec(input.events[i])
}

exec_by_name(n) := {i | some i in candidates("exec", n); is_exec(input.events[i])}

# File events on a (possible) shell start-up file.
shell_config_candidates contains i if {
	some n in shell_config_names
	some i in by_base(n)
}

shell_config_candidates contains i if {
	some p in shell_config_paths
	some i in by_base(basename(p))
}

shell_config_candidates contains i if some i in by_dir("/etc/profile.d")
