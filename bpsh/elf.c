// SPDX-License-Identifier: GPL-2.0
/*
 * ELF files, read with libelf (files_priv.h): the identification (byte
 * order, class and machine this closure can use: x86_64 and i386), and
 * the dynamic linking facts of an executable or shared object: PT_INTERP,
 * DT_NEEDED, DT_RPATH, DT_RUNPATH, DT_SONAME and DF_1_NODEFLIB. The files
 * are hostile: every offset and size is checked against the file.
 */
#include <errno.h>
#include <gelf.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files_priv.h"

#define MAX_PHDRS	4096
#define MAX_NEEDED	1024
#define MAX_STRTAB	(16u << 20)

static bool elf_supported(int cls, int mach)
{
	return (cls == ELFCLASS64 && mach == EM_X86_64) ||
	       (cls == ELFCLASS32 && mach == EM_386);
}

/*
 * The ELF identification of @fd: -ENOEXEC not an ELF file, ELF_OTHER an
 * ELF file this closure cannot use (byte order, class, machine), else
 * ELF_NATIVE with *@cls, *@mach.
 */
int bpsh_elf_ident(int fd, int *cls, int *mach, unsigned int *type)
{
	unsigned char h[EI_NIDENT + 4];
	ssize_t n = pread(fd, h, sizeof(h), 0);

	if (n < 0)
		return -errno;
	if ((size_t)n < sizeof(h) || memcmp(h, ELFMAG, SELFMAG))
		return -ENOEXEC;
	*cls = h[EI_CLASS];
	*type = h[EI_NIDENT] | h[EI_NIDENT + 1] << 8;
	*mach = h[EI_NIDENT + 2] | h[EI_NIDENT + 3] << 8;
	if (h[EI_DATA] != ELFDATA2LSB || h[EI_VERSION] != EV_CURRENT ||
	    !elf_supported(*cls, *mach))
		return ELF_OTHER;
	return ELF_NATIVE;
}

void bpsh_elfinfo_free(struct elfinfo *ei)
{
	size_t i;

	free(ei->interp);
	free(ei->rpath);
	free(ei->runpath);
	free(ei->soname);
	for (i = 0; i < ei->nneeded; i++)
		free(ei->needed[i]);
	free(ei->needed);
	memset(ei, 0, sizeof(*ei));
}

/* [@off, @off + @len) inside a file of @size bytes. */
static bool in_file(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

/* The file range of virtual address @va (PT_LOAD), *@avail bytes there. */
static int va_to_off(const GElf_Phdr *ph, size_t n, uint64_t va,
		     uint64_t size, uint64_t *off, uint64_t *avail)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t d;

		if (ph[i].p_type != PT_LOAD || va < ph[i].p_vaddr)
			continue;
		d = va - ph[i].p_vaddr;
		if (d >= ph[i].p_filesz)
			continue;
		if (ph[i].p_offset > size || d >= size - ph[i].p_offset)
			return -ENOEXEC;
		*off = ph[i].p_offset + d;
		*avail = ph[i].p_filesz - d;
		if (*avail > size - *off)
			*avail = size - *off;
		return 0;
	}
	return -ENOEXEC;
}

static char *dyn_str(const char *tab, size_t len, uint64_t off)
{
	if (off >= len || !memchr(tab + off, '\0', len - off))
		return NULL;
	return strdup(tab + off);
}

struct dyninfo {
	uint64_t strtab, strsz, flags1;
	uint64_t rpath, runpath, soname;
	bool has_strtab, has_strsz, has_rpath, has_runpath, has_soname;
	size_t nneeded;
};

static int elf_dynamic(Elf *e, const char *name, const GElf_Phdr *ph,
		       size_t phnum, const GElf_Phdr *dyn, uint64_t size,
		       struct elfinfo *ei, struct bpsh_err *err)
{
	size_t esz = ei->cls == ELFCLASS64 ? sizeof(Elf64_Dyn) :
		     sizeof(Elf32_Dyn);
	struct dyninfo di = { 0 };
	uint64_t off, avail;
	Elf_Data *d, *sd;
	size_t n, i, k = 0;
	const char *tab;
	GElf_Dyn dd;

	if (!in_file(dyn->p_offset, dyn->p_filesz, size))
		return bpsh_fail(err, -ENOEXEC,
				 "%s: corrupt ELF file (PT_DYNAMIC outside the file)",
				 name);
	n = dyn->p_filesz / esz;
	if (!n)
		return 0;
	d = elf_getdata_rawchunk(e, dyn->p_offset, n * esz, ELF_T_DYN);
	if (!d)
		return bpsh_fail(err, -ENOEXEC, "%s: corrupt ELF file (%s)",
				 name, elf_errmsg(-1));
	for (i = 0; i < n; i++) {
		if (!gelf_getdyn(d, i, &dd))
			return bpsh_fail(err, -ENOEXEC,
					 "%s: corrupt ELF file (%s)", name,
					 elf_errmsg(-1));
		if (dd.d_tag == DT_NULL)
			break;
		switch (dd.d_tag) {
		case DT_STRTAB:
			di.strtab = dd.d_un.d_ptr;
			di.has_strtab = true;
			break;
		case DT_STRSZ:
			di.strsz = dd.d_un.d_val;
			di.has_strsz = true;
			break;
		case DT_NEEDED:
			di.nneeded++;
			break;
		case DT_RPATH:
			if (!di.has_rpath)
				di.rpath = dd.d_un.d_val;
			di.has_rpath = true;
			break;
		case DT_RUNPATH:
			if (!di.has_runpath)
				di.runpath = dd.d_un.d_val;
			di.has_runpath = true;
			break;
		case DT_SONAME:
			if (!di.has_soname)
				di.soname = dd.d_un.d_val;
			di.has_soname = true;
			break;
		case DT_FLAGS_1:
			di.flags1 |= dd.d_un.d_val;
			break;
		}
	}
	n = i;
	ei->nodeflib = di.flags1 & DF_1_NODEFLIB;
	if (!di.nneeded && !di.has_rpath && !di.has_runpath && !di.has_soname)
		return 0;
	if (di.nneeded > MAX_NEEDED)
		return bpsh_fail(err, -ENOEXEC, "%s: more than %d DT_NEEDED",
				 name, MAX_NEEDED);
	if (!di.has_strtab || !di.has_strsz || !di.strsz ||
	    di.strsz > MAX_STRTAB ||
	    va_to_off(ph, phnum, di.strtab, size, &off, &avail) ||
	    di.strsz > avail)
		return bpsh_fail(err, -ENOEXEC,
				 "%s: corrupt ELF file (bad DT_STRTAB/DT_STRSZ)",
				 name);
	sd = elf_getdata_rawchunk(e, off, di.strsz, ELF_T_BYTE);
	if (!sd || !sd->d_buf || sd->d_size != di.strsz)
		return bpsh_fail(err, -ENOEXEC, "%s: corrupt ELF file (%s)",
				 name, elf_errmsg(-1));
	tab = sd->d_buf;
	if ((di.has_rpath && !(ei->rpath = dyn_str(tab, di.strsz, di.rpath))) ||
	    (di.has_runpath &&
	     !(ei->runpath = dyn_str(tab, di.strsz, di.runpath))) ||
	    (di.has_soname &&
	     !(ei->soname = dyn_str(tab, di.strsz, di.soname))))
		goto bad_str;
	ei->needed = calloc(di.nneeded ? di.nneeded : 1, sizeof(char *));
	if (!ei->needed)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (!gelf_getdyn(d, i, &dd))
			return bpsh_fail(err, -ENOEXEC,
					 "%s: corrupt ELF file (%s)", name,
					 elf_errmsg(-1));
		if (dd.d_tag != DT_NEEDED)
			continue;
		if (k >= di.nneeded)
			break;
		ei->needed[k] = dyn_str(tab, di.strsz, dd.d_un.d_val);
		if (!ei->needed[k])
			goto bad_str;
		ei->nneeded = ++k;
		if (!ei->needed[k - 1][0])
			return bpsh_fail(err, -ENOEXEC,
					 "%s: corrupt ELF file (empty DT_NEEDED)",
					 name);
	}
	return 0;
bad_str:
	return bpsh_fail(err, -ENOEXEC,
			 "%s: corrupt ELF file (string outside DT_STRTAB)",
			 name);
}

/*
 * The dynamic linking facts of the ELF file @fd (@name for messages),
 * whose identification bpsh_elf_ident() accepted.
 */
int bpsh_elf_parse(int fd, const char *name, struct elfinfo *ei,
		   struct bpsh_err *err)
{
	GElf_Phdr *ph = NULL, dyn = { 0 };
	bool have_dyn = false, have_interp = false;
	size_t phnum, entsize, i;
	struct stat st;
	uint64_t size;
	GElf_Ehdr eh;
	Elf *e;
	int r = 0;

	if (fstat(fd, &st))
		return bpsh_fail(err, -errno, "%s: %s", name, strerror(errno));
	size = st.st_size;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return bpsh_fail(err, -ENOEXEC, "libelf: %s", elf_errmsg(-1));
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e)
		return bpsh_fail(err, -ENOEXEC, "%s: %s", name, elf_errmsg(-1));
	if (elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh) ||
	    gelf_getclass(e) != ei->cls) {
		r = bpsh_fail(err, -ENOEXEC, "%s: corrupt ELF file (header)",
			      name);
		goto out;
	}
	ei->type = eh.e_type;
	/*
	 * e_phnum itself: libelf's count is 0 when the headers do not fit
	 * in the file, which must be an error, not "no program headers".
	 */
	phnum = eh.e_phnum;
	if (phnum == PN_XNUM && elf_getphdrnum(e, &phnum)) {
		r = bpsh_fail(err, -ENOEXEC, "%s: corrupt ELF file (%s)", name,
			      elf_errmsg(-1));
		goto out;
	}
	entsize = ei->cls == ELFCLASS64 ? sizeof(Elf64_Phdr) :
		  sizeof(Elf32_Phdr);
	if (phnum > MAX_PHDRS ||
	    (phnum && (eh.e_phentsize != entsize ||
		       !in_file(eh.e_phoff, (uint64_t)phnum * entsize,
				size)))) {
		r = bpsh_fail(err, -ENOEXEC,
			      "%s: corrupt ELF file (program headers)", name);
		goto out;
	}
	ph = calloc(phnum ? phnum : 1, sizeof(*ph));
	if (!ph) {
		r = -ENOMEM;
		goto out;
	}
	for (i = 0; i < phnum; i++) {
		if (!gelf_getphdr(e, i, &ph[i])) {
			r = bpsh_fail(err, -ENOEXEC,
				      "%s: corrupt ELF file (%s)", name,
				      elf_errmsg(-1));
			goto out;
		}
		if (ph[i].p_type == PT_DYNAMIC && !have_dyn) {
			dyn = ph[i];
			have_dyn = true;
		}
		if (ph[i].p_type == PT_INTERP && !have_interp) {
			const char *s;
			Elf_Data *d;

			have_interp = true;
			if (!ph[i].p_filesz || ph[i].p_filesz > PATH_MAX ||
			    !in_file(ph[i].p_offset, ph[i].p_filesz, size) ||
			    !(d = elf_getdata_rawchunk(e, ph[i].p_offset,
						       ph[i].p_filesz,
						       ELF_T_BYTE)) ||
			    d->d_size != ph[i].p_filesz) {
				r = bpsh_fail(err, -ENOEXEC,
					      "%s: corrupt ELF file (PT_INTERP)",
					      name);
				goto out;
			}
			s = d->d_buf;
			if (s[ph[i].p_filesz - 1] || !s[0]) {
				r = bpsh_fail(err, -ENOEXEC,
					      "%s: corrupt ELF file (PT_INTERP)",
					      name);
				goto out;
			}
			ei->interp = strdup(s);
			if (!ei->interp) {
				r = -ENOMEM;
				goto out;
			}
		}
	}
	if (have_dyn)
		r = elf_dynamic(e, name, ph, phnum, &dyn, size, ei, err);
out:
	free(ph);
	elf_end(e);
	if (r)
		bpsh_elfinfo_free(ei);
	return r;
}

