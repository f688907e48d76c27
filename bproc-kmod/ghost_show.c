// SPDX-License-Identifier: GPL-2.0
/*
 * What a ghost shows as its program (docs/ghosts.md): like execve(), the
 * ghost takes the program's name, and /proc/PID/cmdline and environ show
 * its arguments and environment, from the REXEC (the image it takes as it
 * turns) and from each EXEC the node reports later.
 */

#include <linux/err.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched.h>
#include <linux/sched/coredump.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "ghost_priv.h"

/*
 * Like execve(), the ghost takes a program's name (@comm), and its
 * /proc/PID/cmdline shows the first @args_len of the @len bytes at @strs,
 * copied into a fresh anonymous mapping. @whole: the strings are the
 * whole image (arguments, then the environment): the old address space,
 * which a ghost never uses again, goes first. Else only the arguments
 * change. A task whose mm is shared with another process (a vfork()
 * child, CLONE_VM) keeps its mm as it is.
 *
 * Return: the mapping's address, or 0 when there is none.
 */
unsigned long bproc_ghost_show(const char *comm, const char *strs,
			       size_t args_len, size_t len, bool whole)
{
	struct mm_struct *mm = current->mm;
	unsigned long addr;

	task_lock(current);
	strscpy_pad(current->comm, comm, sizeof(current->comm));
	task_unlock(current);
	if (!mm || current->vfork_done ||
	    test_bit(MMF_MULTIPROCESS, &mm->flags))
		return 0;
	if (whole)
		vm_munmap(0, TASK_SIZE);
	if (!len)
		return 0;
	addr = vm_mmap(NULL, 0, PAGE_ALIGN(len), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, 0);
	if (IS_ERR_VALUE(addr))
		return 0;
	if (copy_to_user((void __user *)addr, strs, len)) {
		vm_munmap(addr, PAGE_ALIGN(len));
		return 0;
	}
	spin_lock(&mm->arg_lock);
	mm->arg_start = addr;
	mm->arg_end = addr + args_len;
	if (whole) {
		mm->env_start = mm->arg_end;
		mm->env_end = addr + len;
	}
	spin_unlock(&mm->arg_lock);
	return addr;
}

/*
 * The process runs another program (EXEC): the ghost shows its name and
 * arguments; the environment stays. The mapping of an earlier EXEC goes.
 */
void bproc_ghost_do_exec(struct bproc_ghost *g)
{
	struct bproc_ghost_exec *e;
	unsigned long addr;

	spin_lock_irq(&g->lock);
	e = g->exec;
	g->exec = NULL;
	spin_unlock_irq(&g->lock);
	if (!e)
		return;
	addr = bproc_ghost_show(e->comm, e->args, e->len, e->len, false);
	if (addr) {
		if (g->args_map)
			vm_munmap(g->args_map, g->args_map_len);
		g->args_map = addr;
		g->args_map_len = PAGE_ALIGN(e->len);
	}
	kfree(e);
}

/*
 * The ghost takes the program of its REXEC: its name (the path's last
 * component), argv and envp, as bproc_ghost_show() does.
 */
void bproc_ghost_image(struct bproc_ghost *g)
{
	const char *path = g->strings, *args, *env;
	u32 i;

	args = path + strlen(path) + 1;
	env = args;
	for (i = 0; i < g->argc; i++)
		env += strlen(env) + 1;
	bproc_ghost_show(kbasename(path), args, env - args,
			 g->strings_len - (args - path), true);
	kfree(g->strings);
	g->strings = NULL;
}
