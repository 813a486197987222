/* Femora mesh: nodes, tetrahedra (TET4 or TET10), boundary entities and the
 * Gmsh physical groups they belong to.  Read natively from Gmsh MSH 4.1
 * (ASCII or binary); no libgmsh needed here.
 *
 * Node ordering of elements is Gmsh's:
 *   TET4  0 1 2 3
 *   TET10 corners 0-3, then mid-edge nodes on edges
 *         4:(0,1) 5:(1,2) 6:(2,0) 7:(3,0) 8:(3,2) 9:(3,1)
 *   TRI3  0 1 2      TRI6 corners 0-2, then 3:(0,1) 4:(1,2) 5:(2,0)
 *   LINE2 0 1        LINE3 0 1, then 2:(0,1)
 *   POINT 0
 * All indices are 0-based and compact (nodes 0..nnodes-1). */
#ifndef FEMORA_MESH_H
#define FEMORA_MESH_H

#define FM_NAME_MAX 128

typedef struct {
  int dim;                /* 0..3 */
  int tag;                /* Gmsh physical tag */
  char name[FM_NAME_MAX]; /* "" when the group has no name */
} FmGroup;

typedef struct {
  int dim, tag; /* Gmsh entity dimension and tag */
  int ngroups;  /* physical groups this entity belongs to */
  int *groups;  /* indices into FmMesh.groups */
} FmEntity;

/* A block of lower-dimensional elements (points, lines, triangles). */
typedef struct {
  int n;       /* number of elements */
  int npe;     /* nodes per element: 1 (point), 2/3 (line), 3/6 (triangle) */
  int *conn;   /* n * npe node indices */
  int *entity; /* n entity indices (into FmMesh.entities) */
} FmBoundary;

typedef struct {
  char file[4096]; /* file it was read from, for messages */

  int nnodes;
  double *x;      /* 3 * nnodes coordinates */
  long *node_tag; /* original Gmsh node tags (for messages) */

  int order; /* 1: TET4, 2: TET10 */
  int npe;   /* 4 or 10 */
  int nelem;
  int *conn;        /* nelem * npe node indices */
  int *elem_entity; /* volume entity index per element */
  long *elem_tag;   /* original Gmsh element tag (for messages) */

  FmBoundary points; /* npe 1 */
  FmBoundary lines;  /* npe 2 or 3 (3 iff order 2) */
  FmBoundary tris;   /* npe 3 or 6 (6 iff order 2) */

  int ngroups;
  FmGroup *groups;
  int nentities;
  FmEntity *entities;
} FmMesh;

/* Read a Gmsh MSH 4.1 file (ASCII or binary, either endianness of the host).
 * Accepts TET4 (type 4) or TET10 (type 11) volume elements, TRI3/TRI6 (2/9),
 * LINE2/LINE3 (1/8) and POINT (15).  Any other element type is an error that
 * names the file, the element tag and the type.  Only the nodes of the
 * tetrahedra are kept: a point, line or triangle element with another node
 * is dropped where it is in no physical group (a construction point) and
 * an error where it is in one (it lies off the meshed volume); two
 * tetrahedra, or two triangles, on the same corner nodes are an error.
 * Errors (fm_error) name the file and what is wrong. */
int fm_mesh_read_msh(const char *path, FmMesh *mesh);

/* Convert the mesh to the requested order: 2 turns TET4 into TET10 (with
 * straight-edge mid nodes shared between neighbours; boundary triangles and
 * lines are elevated consistently), 1 turns TET10 into TET4 (mid nodes
 * dropped, nodes compacted). No-op when already at that order. */
int fm_mesh_set_order(FmMesh *mesh, int order);

/* Find a physical group by name (and dimension, or -1 for any). Returns its
 * index or -1. */
int fm_mesh_find_group(const FmMesh *mesh, const char *name, int dim);

/* Sorted unique list of the nodes of physical group g (of any dimension,
 * including mid nodes).  *nodes is allocated; caller frees. */
int fm_mesh_group_nodes(const FmMesh *mesh, int g, int *nnodes, int **nodes);

/* Triangles of surface group g: *ntri and an allocated copy of their
 * connectivity (ntri * mesh->tris.npe). */
int fm_mesh_group_tris(const FmMesh *mesh, int g, int *ntri, int **conn);

/* As the two above over every physical group named name (of dimension
 * dmin..dmax; the triangles: surfaces), the union: Gmsh lets several
 * groups, of one dimension or of several, share a name, and a case's group
 * means all of them.  *ngroups: how many there are (0: none, nothing
 * listed). */
int fm_mesh_named_nodes(const FmMesh *mesh, const char *name, int dmin,
                        int dmax, int *ngroups, int *nnodes, int **nodes);
int fm_mesh_named_tris(const FmMesh *mesh, const char *name, int *ngroups,
                       int *ntri, int **conn);

/* 1 when volume element e belongs to physical group g. */
int fm_mesh_elem_in_group(const FmMesh *mesh, int e, int g);

/* Check every tetrahedron: the Jacobian determinant at each corner (and, for
 * TET10, at the 4 Gauss points) must be positive and not tiny relative to
 * the element size.  Error names the file and the Gmsh element tag. */
int fm_mesh_check(const FmMesh *mesh);

/* Write the mesh as MSH 4.1, ASCII or (binary = 1) binary, under a
 * temporary name renamed into place once whole (femora generate, tests). */
int fm_mesh_write_msh(const FmMesh *mesh, const char *path, int binary);

void fm_mesh_free(FmMesh *mesh);

#endif
