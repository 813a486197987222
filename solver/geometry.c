/* Mesh a Gmsh geometry script (.geo) through the Gmsh C API (Gmsh 4.8).
 *
 * How parameters reach the script.  Gmsh 4.8's C API has no parser access
 * (gmshParserSetNumber came later), and "-setnumber name value" passed to
 * gmshInitialize is kept in a process-wide table that gmshFinalize does not
 * clear, so a value would leak into every later call.  We therefore use
 * ONELAB: a script declares
 *     DefineConstant[ h = {3.0, Name "Parameters/h"} ];
 * and when the parser meets it, it takes the value of the ONELAB number
 * "Parameters/h" if one exists.  So: scan the script text for the
 * DefineConstant entries (identifier -> ONELAB Name), clear the ONELAB
 * database (it also survives gmshFinalize), set each requested parameter
 * under its Name, then gmshOpen the script.
 *
 * Each call runs one whole Gmsh session (initialize ... finalize), so the
 * function can be called repeatedly.  It must not be called while the
 * caller itself holds an initialized Gmsh session. */
#define _POSIX_C_SOURCE 200809L

#include "geometry.h"

#include <errno.h>
#include <fcntl.h>
#include <gmshc.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <unistd.h>

#include "error.h"
#include "fileio.h"
#include "geoscan.h"

#ifdef _OPENMP
#include <omp.h>
#endif

int fm_geometry_available(void) {
  return 1;
}

/* ------------------------------------------------------------------ */
/* DefineConstant scanner                                              */
/* ------------------------------------------------------------------ */

typedef struct {
  char name[128];       /* identifier in the script */
  char onelab[256];     /* its Name attribute ("" when none) */
  int has_min, has_max; /* a Min / Max attribute given as a number */
  double min, max;
} GeoDecl;

typedef struct {
  int n, cap;
  GeoDecl *d;
} GeoDecls;

static int decls_add(GeoDecls *D, const GeoDecl *e) {
  for (int k = 0; k < D->n; k++)
    if (!strcmp(D->d[k].name, e->name)) {
      if (!D->d[k].onelab[0] && e->onelab[0])
        snprintf(D->d[k].onelab, sizeof D->d[k].onelab, "%s", e->onelab);
      return 0;
    }
  if (D->n == D->cap) {
    int cap = D->cap ? 2 * D->cap : 8;
    GeoDecl *p = fm_realloc(D->d, (size_t)cap, sizeof *p);
    if (!p)
      return 1;
    D->d = p;
    D->cap = cap;
  }
  D->d[D->n++] = *e;
  return 0;
}

/* A Min or Max attribute's value where it is a number literal (followed by
 * ',' or '}'), read from the text after the keyword; 0 where it is an
 * expression (not checked here: Gmsh evaluates it). */
static int literal_after(const FmGeoLex *L, double *v) {
  const char *s = L->s + L->i, *end = L->s + L->n;
  char buf[64];
  size_t k = 0;
  while (s < end && (*s == ' ' || *s == '\t'))
    s++;
  while (s < end && k + 1 < sizeof buf && strchr("+-.0123456789eE", *s))
    buf[k++] = *s++;
  buf[k] = 0;
  while (s < end && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
    s++;
  char *stop = NULL;
  *v = strtod(buf, &stop);
  return k > 0 && stop && !*stop && isfinite(*v) && s < end &&
         (*s == ',' || *s == '}');
}

/* Parse the entries of one DefineConstant[ ... ] (the '[' already read):
 *   ident = expr | ident = { expr, attr, ..., Name "X", ... } | ident[] = ...
 * separated by commas at bracket depth 0, up to the closing ']'. */
static int scan_define_constant(FmGeoLex *L, GeoDecls *D) {
  for (;;) {
    FmGeoTok t = fm_geo_next(L);
    if (t.kind == FM_GEO_END)
      return 0;
    if (t.kind == FM_GEO_PUNCT && t.c == ']')
      return 0;
    if (t.kind == FM_GEO_PUNCT && t.c == ',')
      continue;
    if (t.kind != FM_GEO_IDENT)
      continue; /* tolerate anything odd */
    GeoDecl e;
    memset(&e, 0, sizeof e);
    snprintf(e.name, sizeof e.name, "%.127s", t.text);
    /* walk the rest of the entry to ',' or ']' at depth 0 */
    int depth = 0, brace = 0, after_name = 0, end = 0;
    for (;;) {
      FmGeoTok u = fm_geo_next(L);
      if (u.kind == FM_GEO_END) {
        end = 1;
        break;
      }
      if (u.kind == FM_GEO_PUNCT) {
        if (u.c == '(' || u.c == '[' || u.c == '{') {
          depth++;
          if (u.c == '{')
            brace++;
        } else if (u.c == ')' || u.c == ']' || u.c == '}') {
          if (depth == 0 && u.c == ']') {
            end = 1;
            break;
          }
          depth--;
          if (u.c == '}')
            brace--;
        } else if (u.c == ',' && depth == 0) {
          break;
        }
        after_name = 0;
        continue;
      }
      if (u.kind == FM_GEO_IDENT && brace > 0 && !strcmp(u.text, "Name")) {
        after_name = 1;
        continue;
      }
      if (u.kind == FM_GEO_IDENT && brace == 1 && depth == 1 &&
          (!strcmp(u.text, "Min") || !strcmp(u.text, "Max"))) {
        double v;
        if (literal_after(L, &v)) {
          if (u.text[1] == 'i')
            e.has_min = 1, e.min = v;
          else
            e.has_max = 1, e.max = v;
        }
      }
      if (u.kind == FM_GEO_STRING && after_name && !e.onelab[0])
        snprintf(e.onelab, sizeof e.onelab, "%.255s", u.text);
      after_name = 0;
    }
    if (decls_add(D, &e))
      return 1;
    if (end)
      return 0;
  }
}

static int scan_text(const char *text, size_t n, GeoDecls *D) {
  FmGeoLex L = fm_geo_lex(text, n);
  int prev_define = 0; /* the token before was DefineConstant */
  for (;;) {
    FmGeoTok t = fm_geo_next(&L);
    if (t.kind == FM_GEO_END)
      return 0;
    if (t.kind == FM_GEO_PUNCT && t.c == '[' && prev_define) {
      if (scan_define_constant(&L, D))
        return 1;
      prev_define = 0;
      continue;
    }
    prev_define = t.kind == FM_GEO_IDENT && !strcmp(t.text, "DefineConstant");
  }
}

static int read_text(const char *path, char **text, size_t *n);

/* The DefineConstant declarations of the script at path and of the
 * scripts it includes (Gmsh takes theirs alike). */
static int scan_declarations(const char *path, GeoDecls *D) {
  char *text = NULL;
  size_t ntext = 0;
  FM_CALL(read_text(path, &text, &ntext));
  int rc = scan_text(text, ntext, D);
  free(text);
  FmGeoInputs in;
  if (rc || fm_geo_inputs(path, &in))
    return 1;
  for (int k = 0; k < in.n && !rc; k++) {
    if (!in.script[k])
      continue;
    text = fm_read_text(in.path[k], &ntext);
    if (text) /* one missing: Gmsh names it when it opens the script */
      rc = scan_text(text, ntext, D);
    free(text);
  }
  fm_geo_inputs_free(&in);
  return rc;
}

static int read_text(const char *path, char **text, size_t *n) {
  *text = fm_read_text(path, n);
  if (!*text)
    return fm_error("%s: cannot %s geometry script: %s", path,
                    errno == EIO ? "read" : "open", fm_open_error());
  return 0;
}

/* ------------------------------------------------------------------ */
/* Gmsh helpers                                                        */
/* ------------------------------------------------------------------ */

/* Gmsh's last error message, copied into buf ("" when none). */
static const char *gmsh_last_error(char *buf, size_t size) {
  char *msg = NULL;
  int ierr = 0;
  buf[0] = 0;
  gmshLoggerGetLastError(&msg, &ierr);
  if (msg) {
    snprintf(buf, size, "%s", msg);
    gmshFree(msg);
  }
  return buf;
}

/* Record "<geo>: <what>: <gmsh's last error>" and return 1. */
static int gmsh_fail(const char *geo, const char *what) {
  char msg[1024];
  gmsh_last_error(msg, sizeof msg);
  if (msg[0])
    return fm_error("%s: %s: %s", geo, what, msg);
  return fm_error("%s: %s", geo, what);
}

static int set_option(const char *geo, const char *name, double value) {
  int ierr = 0;
  gmshOptionSetNumber(name, value, &ierr);
  if (ierr)
    return fm_error("%s: cannot set Gmsh option %s = %g", geo, name, value);
  return 0;
}

/* Jacobian determinant of a TET10 (Gmsh node order: corners 0-3, then
 * mid-edge nodes 4:(0,1) 5:(1,2) 6:(2,0) 7:(3,0) 8:(3,2) 9:(3,1)) at the
 * reference point (u, v, w). */
static double tet10_det(const double *x[10], double u, double v, double w) {
  static const int E[6][2] = {{0, 1}, {1, 2}, {2, 0}, {3, 0}, {3, 2}, {3, 1}};
  static const double dL[4][3] = {
      {-1, -1, -1}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
  const double L[4] = {1 - u - v - w, u, v, w};
  double J[3][3] = {{0}};
  for (int k = 0; k < 10; k++) {
    double g[3];
    if (k < 4) {
      for (int d = 0; d < 3; d++)
        g[d] = (4 * L[k] - 1) * dL[k][d];
    } else {
      int i = E[k - 4][0], j = E[k - 4][1];
      for (int d = 0; d < 3; d++)
        g[d] = 4 * (L[j] * dL[i][d] + L[i] * dL[j][d]);
    }
    for (int r = 0; r < 3; r++)
      for (int c = 0; c < 3; c++)
        J[r][c] += x[k][r] * g[c];
  }
  return J[0][0] * (J[1][1] * J[2][2] - J[1][2] * J[2][1]) -
         J[0][1] * (J[1][0] * J[2][2] - J[1][2] * J[2][0]) +
         J[0][2] * (J[1][0] * J[2][1] - J[1][1] * J[2][0]);
}

/* Count the TET10 elements (Gmsh type 11) whose Jacobian determinant is not
 * positive at one of 11 sample points (corners, edge midpoints, centroid). */
static int check_tet10_jacobians(const char *geo, size_t *nbad,
                                 size_t *ntotal) {
  static const double P[11][3] = {{0, 0, 0},   {1, 0, 0},      {0, 1, 0},
                                  {0, 0, 1},   {.5, 0, 0},     {.5, .5, 0},
                                  {0, .5, 0},  {0, 0, .5},     {0, .5, .5},
                                  {.5, 0, .5}, {.25, .25, .25}};
  int ierr = 0;
  *nbad = 0;
  *ntotal = 0;
  size_t *ntag = NULL, nn = 0, nxyz = 0, npar = 0;
  double *xyz = NULL, *par = NULL;
  gmshModelMeshGetNodes(&ntag, &nn, &xyz, &nxyz, &par, &npar, -1, -1, 0, 0,
                        &ierr);
  gmshFree(par);
  size_t *etag = NULL, ne = 0, *conn = NULL, nconn = 0;
  if (!ierr)
    gmshModelMeshGetElementsByType(11, &etag, &ne, &conn, &nconn, -1, 0, 1,
                                   &ierr);
  gmshFree(etag);
  size_t maxtag = 0;
  for (size_t i = 0; i < nn; i++)
    if (ntag[i] > maxtag)
      maxtag = ntag[i];
  size_t *where = ierr ? NULL : fm_calloc(maxtag + 1, sizeof *where);
  int rc = 0;
  if (ierr) {
    rc = gmsh_fail(geo, "cannot read back the second-order mesh");
  } else if (!where) {
    rc = 1;
  } else {
    for (size_t i = 0; i < nn; i++)
      where[ntag[i]] = i + 1;
    for (size_t e = 0; e < nconn / 10; e++) {
      const double *x[10];
      int missing = 0;
      for (int k = 0; k < 10; k++) {
        size_t t = conn[10 * e + k];
        if (t > maxtag || !where[t]) {
          missing = 1;
          break;
        }
        x[k] = xyz + 3 * (where[t] - 1);
      }
      if (missing) {
        rc = fm_error("%s: a second-order tetrahedron refers to a missing node",
                      geo);
        break;
      }
      double lo = 0, hi = 0;
      for (int p = 0; p < 11; p++) {
        double d = tet10_det(x, P[p][0], P[p][1], P[p][2]);
        if (p == 0 || d < lo)
          lo = d;
        if (p == 0 || d > hi)
          hi = d;
      }
      if (hi <= 0 || lo <= 1e-12 * hi)
        (*nbad)++;
      (*ntotal)++;
    }
  }
  free(where);
  gmshFree(ntag);
  gmshFree(xyz);
  gmshFree(conn);
  return rc;
}

/* The mesh must consist of tetrahedra (and triangles, lines, points) only,
 * every meshed volume must be in a Physical Volume (with Mesh.SaveAll 0 the
 * elements of volumes outside every physical group are not written), and
 * there must be volume elements at all. */
static int check_mesh(const char *geo) {
  int ierr = 0;
  int *types = NULL;
  size_t ntypes = 0;
  gmshModelMeshGetElementTypes(&types, &ntypes, 3, -1, &ierr);
  if (ierr) {
    gmshFree(types);
    return gmsh_fail(geo, "cannot query the mesh");
  }
  int bad = 0;
  for (size_t i = 0; i < ntypes; i++)
    if (types[i] != 4 && types[i] != 11)
      bad = types[i];
  int ntet = (int)ntypes;
  gmshFree(types);
  if (bad)
    return fm_error(
        "%s: the mesh contains volume elements of Gmsh type %d; femora "
        "handles tetrahedra only (remove Recombine/Transfinite/Extrude "
        "Layers from the script)",
        geo, bad);
  if (!ntet)
    return fm_error("%s: meshing produced no volume (3D) elements", geo);

  types = NULL;
  ntypes = 0;
  gmshModelMeshGetElementTypes(&types, &ntypes, 2, -1, &ierr);
  bad = 0;
  for (size_t i = 0; i < ntypes; i++)
    if (types[i] != 2 && types[i] != 9)
      bad = types[i];
  gmshFree(types);
  if (bad)
    return fm_error(
        "%s: the mesh contains surface elements of Gmsh type %d; femora "
        "handles triangles only",
        geo, bad);

  int *groups = NULL;
  size_t ngroups = 0;
  gmshModelGetPhysicalGroups(&groups, &ngroups, 3, &ierr);
  gmshFree(groups);
  if (ierr)
    return gmsh_fail(geo, "cannot list the physical groups");
  if (ngroups == 0)
    return fm_error(
        "%s: the script defines no Physical Volume; name the material "
        "regions with Physical Volume(\"name\") = {...}",
        geo);

  int *ents = NULL;
  size_t nents = 0;
  gmshModelGetEntities(&ents, &nents, 3, &ierr);
  if (ierr) {
    gmshFree(ents);
    return gmsh_fail(geo, "cannot list the volumes");
  }
  int orphan = 0;
  for (size_t i = 0; i + 1 < nents && !orphan; i += 2) {
    int tag = ents[i + 1];
    int *etypes = NULL;
    size_t netypes = 0;
    gmshModelMeshGetElementTypes(&etypes, &netypes, 3, tag, &ierr);
    gmshFree(etypes);
    if (!netypes)
      continue;
    int *ptags = NULL;
    size_t nptags = 0;
    gmshModelGetPhysicalGroupsForEntity(3, tag, &ptags, &nptags, &ierr);
    gmshFree(ptags);
    if (!nptags)
      orphan = tag;
  }
  gmshFree(ents);
  if (orphan)
    return fm_error(
        "%s: volume %d is meshed but belongs to no Physical Volume; its "
        "elements would not be written",
        geo, orphan);
  return 0;
}

/* ------------------------------------------------------------------ */
/* The session                                                         */
/* ------------------------------------------------------------------ */

static int mesh_session(const char *geo, const GeoDecls *D, int nparams,
                        const char (*names)[128], const double *values,
                        int order, const char *tmp_msh, const char *out_msh) {
  int ierr = 0;
  FM_CALL(set_option(geo, "General.Terminal", 0));
  FM_CALL(set_option(geo, "General.Verbosity", 2));

  /* ONELAB survives gmshFinalize: forget every earlier call's values */
  gmshOnelabClear("", &ierr);
  if (ierr)
    return gmsh_fail(geo, "cannot clear the ONELAB parameters");
  for (int p = 0; p < nparams; p++) {
    for (int k = 0; k < D->n; k++)
      if (!strcmp(D->d[k].name, names[p])) {
        double v = values[p];
        gmshOnelabSetNumber(D->d[k].onelab, &v, 1, &ierr);
        if (ierr)
          return fm_error("%s: parameter '%s': cannot set it", geo, names[p]);
      }
  }

  gmshOpen(geo, &ierr);
  if (ierr)
    return gmsh_fail(geo, "cannot read the script");

  /* the values the script actually used must be ours (a ReadOnly Name or a
   * second definition would otherwise silently keep the default) */
  for (int p = 0; p < nparams; p++)
    for (int k = 0; k < D->n; k++)
      if (!strcmp(D->d[k].name, names[p])) {
        double *got = NULL;
        size_t ngot = 0;
        gmshOnelabGetNumber(D->d[k].onelab, &got, &ngot, &ierr);
        int same = !ierr && ngot >= 1 && got[0] == values[p];
        double g0 = ngot ? got[0] : NAN;
        gmshFree(got);
        if (!same)
          return fm_error(
              "%s: parameter '%s' = %g was not taken by the script (it "
              "used %g; is its DefineConstant ReadOnly?)",
              geo, names[p], values[p], g0);
      }

  gmshModelMeshGenerate(3, &ierr);
  if (ierr)
    return gmsh_fail(geo, "meshing failed");
  FM_CALL(check_mesh(geo));

  if (order == 2) {
    FM_CALL(set_option(geo, "Mesh.SecondOrderIncomplete", 1));
    gmshModelMeshSetOrder(2, &ierr);
    if (ierr)
      return gmsh_fail(geo, "cannot make the mesh second order");
    size_t nbad = 0, ntot = 0;
    FM_CALL(check_tet10_jacobians(geo, &nbad, &ntot));
    if (nbad) {
      /* curved (geometry-following) mid nodes folded some elements: try
       * Gmsh's high-order optimizer, then fall back to straight sides */
      gmshModelMeshOptimize("HighOrder", 1, 0, NULL, 0, &ierr);
      FM_CALL(check_tet10_jacobians(geo, &nbad, &ntot));
      if (ierr || nbad) {
        FM_CALL(set_option(geo, "Mesh.SecondOrderLinear", 1));
        gmshModelMeshSetOrder(1, &ierr);
        if (!ierr)
          gmshModelMeshSetOrder(2, &ierr);
        if (ierr)
          return gmsh_fail(geo, "cannot make the mesh second order");
        FM_CALL(check_tet10_jacobians(geo, &nbad, &ntot));
        if (nbad)
          return fm_error(
              "%s: %zu of %zu second-order tetrahedra have a non-positive "
              "Jacobian",
              geo, nbad, ntot);
      }
    }
  }

  FM_CALL(set_option(geo, "Mesh.MshFileVersion", 4.1));
  FM_CALL(set_option(geo, "Mesh.Binary", 1));
  FM_CALL(set_option(geo, "Mesh.SaveAll", 0));
  FM_CALL(set_option(geo, "Mesh.SaveParametric", 0));
  gmshWrite(tmp_msh, &ierr);
  if (ierr) {
    char msg[1024];
    return fm_error("%s: cannot write the mesh of %s: %s", out_msh, geo,
                    gmsh_last_error(msg, sizeof msg));
  }
  return 0;
}

/* One Gmsh session: initialize, mesh, write, finalize. */
static int session(const char *geo_path, const GeoDecls *D, int nparams,
                   const char (*names)[128], const double *values, int order,
                   const char *tmp, const char *out_msh) {
  int ierr = 0, rc;
  char *argv[] = {"femora", NULL};
#ifdef _OPENMP
  /* gmshInitialize sets the whole process's OpenMP thread count to Gmsh's
   * General.NumThreads (1 by default): keep the caller's */
  const int omp_threads = omp_get_max_threads();
#endif
  gmshInitialize(1, argv, 0, &ierr);
  if (ierr) {
    rc = fm_error("%s: cannot initialize Gmsh", geo_path);
  } else {
    rc = mesh_session(geo_path, D, nparams, names, values, order, tmp, out_msh);
    gmshOnelabClear("", &ierr);
    gmshFinalize(&ierr);
  }
#ifdef _OPENMP
  omp_set_num_threads(omp_threads);
#endif
  return rc;
}

/* The session in a child process: Gmsh ends the process on some bad
 * geometry (an exception thrown inside its OpenMP loops calls
 * std::terminate: a mesh size of 0, for one), so a crash there must not
 * take femora with it.  The child's error line comes back through a pipe;
 * what Gmsh prints on its way down goes nowhere.  The mesh is the file
 * tmp, as before. */
static int session_in_child(const char *geo_path, const GeoDecls *D,
                            int nparams, const char (*names)[128],
                            const double *values, int order, const char *tmp,
                            const char *out_msh) {
  int fds[2];
  if (pipe(fds))
    return fm_error("%s: cannot mesh: pipe: %s", geo_path, strerror(errno));
  fflush(NULL); /* nothing buffered is written twice */
  const pid_t parent = getpid();
  (void)parent; /* (Linux only) */
  const pid_t pid = fork();
  if (pid < 0) {
    const int e = errno;
    close(fds[0]);
    close(fds[1]);
    return fm_error("%s: cannot mesh: fork: %s", geo_path, strerror(e));
  }
  if (pid == 0) {
#ifdef __linux__
    /* ends with femora (a suite's SIGTERM, a job's end) */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
      _exit(1);
#endif
    close(fds[0]);
    /* the default actions: a handler inherited from PETSc or MPI (an
     * abort that tries to reach the MPI runtime) must not run in here */
    static const int sigs[] = {SIGABRT, SIGSEGV, SIGBUS, SIGFPE,  SIGILL,
                               SIGTERM, SIGINT,  SIGHUP, SIGQUIT, SIGPIPE};
    for (size_t k = 0; k < sizeof sigs / sizeof sigs[0]; k++)
      signal(sigs[k], SIG_DFL);
    const int null = open("/dev/null", O_WRONLY);
    if (null >= 0) {
      dup2(null, 1);
      dup2(null, 2);
    }
    const int rc =
        session(geo_path, D, nparams, names, values, order, tmp, out_msh);
    if (rc) {
      const char *m = fm_error_message();
      size_t len = strlen(m), off = 0;
      while (off < len) {
        const ssize_t w = write(fds[1], m + off, len - off);
        if (w <= 0)
          break;
        off += (size_t)w;
      }
    }
    close(fds[1]);
    _exit(rc ? 1 : 0);
  }
  close(fds[1]);
  char msg[12288];
  size_t len = 0;
  while (len < sizeof msg - 1) {
    const ssize_t r = read(fds[0], msg + len, sizeof msg - 1 - len);
    if (r > 0)
      len += (size_t)r;
    else if (!(r < 0 && errno == EINTR))
      break;
  }
  msg[len] = 0;
  close(fds[0]);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR)
      return fm_error("%s: cannot mesh: waitpid: %s", geo_path,
                      strerror(errno));
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
    return 0;
  if (WIFEXITED(st) && msg[0])
    return fm_error("%s", msg);
  char params[512] = "";
  size_t pl = 0;
  for (int p = 0; p < nparams && pl < sizeof params; p++)
    pl += (size_t)snprintf(params + pl, sizeof params - pl, "%s%s = %g",
                           p ? ", " : "; parameters ", names[p], values[p]);
  if (WIFSIGNALED(st))
    return fm_error("%s: Gmsh crashed while meshing it (signal %d, %s): a "
                    "geometry or mesh size it cannot mesh%s",
                    geo_path, WTERMSIG(st), strsignal(WTERMSIG(st)), params);
  return fm_error("%s: Gmsh ended with status %d while meshing it%s", geo_path,
                  WEXITSTATUS(st), params);
}

int fm_geometry_mesh(const char *geo_path, int nparams,
                     const char (*names)[128], const double *values, int order,
                     const char *out_msh) {
  if (!geo_path || !out_msh)
    return fm_error("fm_geometry_mesh: no script or output path");
  if (order != 1 && order != 2)
    return fm_error("%s: element order must be 1 or 2 (got %d)", geo_path,
                    order);
  if (nparams < 0 || (nparams > 0 && (!names || !values)))
    return fm_error("%s: bad parameter list", geo_path);

  GeoDecls D = {0, 0, NULL};
  int rc = scan_declarations(geo_path, &D);
  if (rc) {
    free(D.d);
    return 1;
  }

  /* every parameter must be declared with a Name, and finite */
  for (int p = 0; p < nparams && !rc; p++) {
    int k;
    for (k = 0; k < D.n; k++)
      if (!strcmp(D.d[k].name, names[p]))
        break;
    if (k == D.n) {
      char list[1024] = "";
      size_t len = 0;
      for (int j = 0; j < D.n && len < sizeof list; j++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s",
                                j ? ", " : "", D.d[j].name);
      rc = fm_error(
          "%s: parameter '%s' is not declared in the script (declared: %s)",
          geo_path, names[p], D.n ? list : "none");
    } else if (!D.d[k].onelab[0]) {
      rc = fm_error(
          "%s: parameter '%s' is declared without a Name attribute, so it "
          "cannot be set; declare it as DefineConstant[ %s = {value, Name "
          "\"Parameters/%s\"} ]",
          geo_path, names[p], names[p], names[p]);
    } else if (!isfinite(values[p])) {
      rc = fm_error("%s: parameter '%s' must be a finite number", geo_path,
                    names[p]);
    } else if (D.d[k].has_min && values[p] < D.d[k].min) {
      rc = fm_error("%s: parameter '%s' = %.15g is below the Min %.15g of "
                    "its DefineConstant",
                    geo_path, names[p], values[p], D.d[k].min);
    } else if (D.d[k].has_max && values[p] > D.d[k].max) {
      rc = fm_error("%s: parameter '%s' = %.15g is above the Max %.15g of "
                    "its DefineConstant",
                    geo_path, names[p], values[p], D.d[k].max);
    }
  }
  if (rc) {
    free(D.d);
    return rc;
  }

  /* temporary name in the output's directory; it must end in .msh, Gmsh
   * picks the format from the extension */
  size_t tlen = strlen(out_msh) + 64;
  char *tmp = fm_calloc(tlen, 1);
  if (!tmp) {
    free(D.d);
    return 1;
  }
  snprintf(tmp, tlen, "%s.%ld.tmp.msh", out_msh, (long)getpid());

  rc = session_in_child(geo_path, &D, nparams, names, values, order, tmp,
                        out_msh);
  free(D.d);

  if (!rc && rename(tmp, out_msh) != 0)
    rc = fm_error("%s: cannot rename %s to it: %s", out_msh, tmp,
                  strerror(errno));
  if (rc)
    remove(tmp);
  free(tmp);
  return rc;
}
