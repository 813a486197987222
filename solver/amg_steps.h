/* The data-parallel steps of the multigrid setup (solver/amg.c), written
 * once for the host and the GPU.
 *
 * Every step is a function of one index i (a node, a DOF row, an aggregate
 * or a position) that reads shared inputs and writes only what belongs to
 * i, so that the i may run in any order and at once: the host runs them in
 * an OpenMP loop (amg.c), the GPU one thread per i (kernels/amg.cu).
 * Prefix sums and sorting between the steps are the backend's primitives
 * (FmAmgDev in amg.h); sums are steps too (BLOCK_SUM), finished on the
 * host in order, so that host and GPU round them alike.  The aggregation is the
 * parallel maximal-independent-set form of smoothed aggregation (Bell, Dalton
 * and Olson, SIAM J. Sci. Comput. 34 (2012) C123-C152, section 4: MIS(2) roots
 * from random tuples, then every node joins a neighbouring root); the
 * tentative prolongator is Vanek, Mandel and Brezina (1996): a QR per
 * aggregate of the near-null space.  See docs/gpu.md. */
#ifndef FEMORA_AMG_STEPS_H
#define FEMORA_AMG_STEPS_H

#include <math.h>
#include <stdint.h>

#include "element.h" /* FM_HD */

/* columns of the near-null space: the six rigid-body modes */
#define FM_AMG_NB 6

/* rows summed in order by one index of BLOCK_SUM (the setup's dot products:
 * block sums, then the blocks' in order on the host, so that the host and
 * the GPU round them the same) */
#define FM_AMG_SUM_BLOCK 1024

/* acc + a b with the product rounded before the sum, on the host and the
 * GPU alike: nvcc would fuse it into one FMA (one rounding), so sums that
 * decide something (a link over the strength threshold, a column kept by
 * the QR) could differ from the host's and the hierarchies with them. */
#ifdef __CUDA_ARCH__
#define FM_AMG_MADD(acc, a, b) __dadd_rn((acc), __dmul_rn((a), (b)))
#define FM_AMG_MUL(a, b) __dmul_rn((a), (b))
#else
#define FM_AMG_MADD(acc, a, b) ((acc) + (a) * (b))
#define FM_AMG_MUL(a, b) ((a) * (b))
#endif

enum {
  FM_AMG_S_SORTED,     /* rows: cnt[i] = 1 where row i's columns are not
                          strictly increasing */
  FM_AMG_S_NODE_OF,    /* nodes: node_of[i] = I for the DOFs i of node I */
  FM_AMG_S_DIAG_NORM,  /* nodes: dn[I] = ||A_II||_F */
  FM_AMG_S_LINK_COUNT, /* nodes: cnt[I] = strong links of I */
  FM_AMG_S_LINK_FILL,  /* nodes: adj, w from gptr (sorted by node) */
  FM_AMG_S_MIS_INIT,   /* nodes: t[I] = (state, random, I) */
  FM_AMG_S_MIS_MAX1,   /* nodes: m1[I] = max of t over I and its links */
  FM_AMG_S_MIS_MAX2,   /* nodes: m2[I] = max of m1 over I and its links */
  FM_AMG_S_MIS_UPDATE, /* nodes: t[I] from m2[I]; cnt[I] = undecided */
  FM_AMG_S_ROOT_FLAG,  /* nodes: cnt[I] = 1 for the roots (MIS nodes) */
  FM_AMG_S_ATTACH1,    /* nodes: agg1[I] = root of I or of its strongest
                          root neighbour (cnt: the roots' numbers) */
  FM_AMG_S_ATTACH2,    /* nodes: agg[I] = agg1[I], or its strongest
                          neighbour's agg1 */
  FM_AMG_S_LEFT_FLAG,  /* nodes: cnt[I] = 1 where no aggregate yet */
  FM_AMG_S_LEFT_ID,    /* nodes: those become aggregates na + cnt[I] */
  FM_AMG_S_AGG_KEY,    /* nodes: key[I] = agg[I], or na where skipped */
  FM_AMG_S_AGG_START,  /* positions t of perm: start[a] = first of a */
  FM_AMG_S_QR,         /* aggregates: Q rows, Rt, kof[a] */
  FM_AMG_S_PT_COUNT,   /* rows: cnt[i] = coarse DOFs of i's aggregate */
  FM_AMG_S_PT_FILL,    /* rows: P_tent's columns and values */
  FM_AMG_S_BC_FILL,    /* aggregates: the coarse near-null space Bc */
  FM_AMG_S_DINV,       /* rows: dinv[i] = 1 / A_ii; cnt[i] = 1 if not > 0 */
  FM_AMG_S_SCALE,      /* rows: s[i] = c dinv[i] */
  FM_AMG_S_LZ_INIT,    /* rows: r random, z = D^-1 r, p = z, prod = r z */
  FM_AMG_S_LZ_PQ,      /* rows: prod = p q */
  FM_AMG_S_LZ_UPDATE,  /* rows: r -= alpha q, z = D^-1 r, prod = r z */
  FM_AMG_S_LZ_DIR,     /* rows: p = z + beta p */
  FM_AMG_S_LZ_SPMV,    /* rows: q = A p (terms in the row's order) */
  FM_AMG_S_BLOCK_SUM,  /* blocks b: bsum[b] = sum of prod over the rows
                          b FM_AMG_SUM_BLOCK .. (in order) */
  /* the Galerkin product by node blocks (amg.c, galerkin_blocks) */
  FM_AMG_S_UNION_COUNT,   /* nodes of X: cnt[I] = |union of Y(J), J in X(I)| */
  FM_AMG_S_UNION_FILL,    /* nodes of X: that union, sorted, into zcol */
  FM_AMG_S_BLOCK_OFF,     /* nodes of Z: zoff (a block's offset within a
                             row), wid[I] (the row's width) */
  FM_AMG_S_ENTRY_KEY,     /* nodes of Z: key[e] = zcol[e], enode[e] = I */
  FM_AMG_S_TR_COL,        /* positions t: tcol[t] = enode[perm[t]] */
  FM_AMG_S_ROW_COUNT,     /* rows: cnt[i] = wid[rnode[i]] (0 where
                             rnode[i] is not of the chunk, with chunk_of) */
  FM_AMG_S_ROW_COLS,      /* rows: C's columns from the blocks Z(rnode[i])
                             (the chunk's only, with chunk_of) */
  FM_AMG_S_BLOCK_PRODUCT, /* nodes of C: its rows of L M [P: s_i that +
                             Pt(i,:)]; cnt[I] = 1 where a block is missing */
  FM_AMG_S_R_FILL,        /* aggregates: their rows of R = P^T (the
                             chunk's only, with chunk_of); cnt[g] = 1 where
                             a block is missing */
  FM_AMG_S_AGG_POS,       /* aggregates: posc[g] = pos of its first member */
  FM_AMG_S_POS_KEY,       /* aggregates: key[g] = posc[g] in [0, 1023] */
  FM_AMG_S_CHUNK_OF,      /* positions t: chunk_of[perm[t]] = t K / na */
  FM_AMG_S_CHUNK_ROWS,    /* nodes: cnt[I] = DOFs, cnt2[I] = nonzeros of
                             I's rows of A P if P's blocks of I reach an
                             aggregate of the chunk, else 0 */
  FM_AMG_S_CHUNK_PTR,     /* nodes: those rows' offsets (optr) and node
                             (onode) in the chunk's A P */
  FM_AMG_S_COUNT
};

/* Everything a step may read or write; each step uses a few of these (the
 * comments of the enum above and of the functions below). */
typedef struct FmAmgArgs {
  int n, nnodes;       /* DOF rows and nodes of the level */
  const int64_t *Aptr; /* the level's operator, CSR, columns */
  const int *Acol;     /* sorted within each row */
  const double *Aval;
  int Abs;                   /* its storage: 3x3 blocks (3) or scalar (0, 1) */
  const int64_t *node_ptr;   /* DOFs of node I: node_ptr[I] .. [I+1] */
  int *node_of;              /* n: the node of each DOF */
  const unsigned char *skip; /* nnodes (NULL: none): out of everything */
  double theta;              /* strength threshold */
  double *dn;                /* nnodes: diagonal block norms */
  int64_t *cnt;              /* counts / flags (scanned in place) */
  const int64_t *gptr;       /* nnodes + 1: strength graph offsets */
  int *adj;                  /* linked nodes */
  double *w;                 /* ||A_IJ||_F^2 of each link */
  uint64_t *t, *m1, *m2;     /* MIS tuples */
  int *agg1, *agg;           /* aggregate of each node (-1: none) */
  int na;                    /* aggregates so far */
  int *key;                  /* nnodes: sort keys */
  const int *perm;           /* nnodes: nodes ordered by aggregate */
  int64_t *start;            /* na + 1: first position of aggregate a */
  const double *B;           /* n x FM_AMG_NB near-null space */
  double *Q;                 /* n x FM_AMG_NB work: orthonormal rows */
  double *Rt;                /* na x NB x NB: R of each aggregate */
  int64_t *kof;              /* na + 1: coarse DOFs of aggregate a */
  const int64_t *cptr;       /* na + 1: scanned kof (coarse offsets) */
  const int64_t *Ptptr;      /* n + 1 */
  int *Ptcol;
  double *Ptval;
  double *Bc;                   /* nc x FM_AMG_NB */
  double *dinv, *s;             /* n */
  double c, alpha, beta;        /* scalars of SCALE and the Lanczos steps */
  double *r, *z, *p, *q, *prod; /* n: Lanczos vectors */
  double *bsum;                 /* BLOCK_SUM's block sums */
  /* the Galerkin product by node blocks: block patterns are CSR over
   * nodes whose columns are column groups (aggregates, or nodes for R) */
  const int64_t *xptr;  /* outer pattern X: X(I) = xcol[xptr[I]..xptr[I+1]) */
  const int *xcol;      /* or, NULL, the indices xptr[I]..xptr[I+1] */
  const int *xoff;      /* R_FILL: X's block offsets (P's blocks) */
  const int64_t *yptr;  /* lists Y(J) = ycol[yptr[J]..yptr[J+1]), sorted */
  const int *ycol;      /* (values through ymap when it is not NULL; */
  const int *ymap;      /* ymap is non-decreasing) */
  int64_t *ucur;        /* a cursor per entry of X */
  const int64_t *zptr;  /* block pattern Z of the result */
  int *zcol;            /* its column groups, sorted within a node */
  int *zoff;            /* offset of a block's first column within a row */
  int64_t *wid;         /* nodes of Z: the width of their rows */
  int *enode, *tcol;    /* transposing Z: node of each entry, columns */
  const int *rnode;     /* result rows: the node (row of Z) of each */
  const int64_t *rofs;  /* result nodes: their first row */
  const int *lmap;      /* L's columns: the node of each (M's row nodes) */
  const int64_t *mbptr; /* M's block pattern over those nodes */
  const int *mbcol;
  const int *mboff;
  const int64_t *gofs; /* column groups: first column of each */
  const int *gof;      /* columns: their group */
  const int64_t *Lptr; /* C = L M (CSR, sorted columns; L stored as */
  const int *Lcol;     /* 3x3 blocks when Lbs is 3) */
  const double *Lval;
  int Lbs;
  const int64_t *Mptr;
  const int *Mcol;
  const double *Mval;
  const int64_t *Cptr; /* C: offsets, columns, values (zero on entry) */
  int *Ccol;
  double *Cval;
  /* positions (a coordinate) of the nodes and aggregates */
  const double *pos; /* nodes */
  double *posc;      /* aggregates */
  double lo, hi;     /* the range of the positions */
  /* A P by chunks of aggregates: the chunk's rows of A P only */
  int *chunk_of;        /* aggregates: their chunk */
  int chunk, nchunks;   /* this chunk, and how many */
  int64_t *cnt2;        /* CHUNK_ROWS: nonzeros */
  const int64_t *crow;  /* C's first row of each node (NULL: rofs) */
  const int64_t *mcrow; /* M's first row of each node (NULL: M's rows are
                           L's columns) */
  const int64_t *mofs;  /* with mcrow: L's first column of each node */
  int64_t *optr;        /* CHUNK_PTR: row offsets */
  int *onode;           /* CHUNK_PTR: node of each row */
} FmAmgArgs;

/* ---- a matrix stored as scalar CSR or as 3x3 blocks ---- */

/* Row i of a matrix stored as scalar CSR (bs 0 or 1: ptr over the rows) or
 * as 3x3 blocks (bs 3: ptr over block rows, col the block columns, 9 values
 * per block, row-major), read as the scalar CSR it stands for: its entries
 * are k in [fm_amg_rbeg, fm_amg_rend), in column order, the column of k
 * fm_amg_col and its value fm_amg_val.  A block row's three rows share its
 * blocks, entry k of row i being column q = k % 3 of block k / 3. */
FM_HD int64_t fm_amg_rbeg(const int64_t *ptr, int bs, int64_t i) {
  return bs == 3 ? 3 * ptr[i / 3] : ptr[i];
}

FM_HD int64_t fm_amg_rend(const int64_t *ptr, int bs, int64_t i) {
  return bs == 3 ? 3 * ptr[i / 3 + 1] : ptr[i + 1];
}

FM_HD int fm_amg_col(const int *col, int bs, int64_t k) {
  return bs == 3 ? 3 * col[k / 3] + (int)(k % 3) : col[k];
}

FM_HD double fm_amg_val(const double *val, int bs, int64_t i, int64_t k) {
  return bs == 3 ? val[9 * (k / 3) + 3 * (i % 3) + k % 3] : val[k];
}

/* ---- MIS tuples: state (2 bits), random (30 bits), node (32 bits) ---- */

enum { FM_AMG_OUT = 0, FM_AMG_UNDECIDED = 1, FM_AMG_IN = 2 };

FM_HD uint32_t fm_amg_hash(uint32_t x) {
  /* a 32-bit integer mix (lowbias32) */
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

FM_HD uint64_t fm_amg_tuple(int state, int I) {
  return ((uint64_t)state << 62) |
         ((uint64_t)(fm_amg_hash((uint32_t)I) >> 2) << 32) | (uint32_t)I;
}

FM_HD int fm_amg_state(uint64_t t) {
  return (int)(t >> 62);
}

/* ---- the node graph ---- */

/* Walk the distinct nodes J of node I's rows in increasing order (the rows
 * are sorted and a node's DOFs are consecutive, so a merge of the rows),
 * with acc = ||A_IJ||_F^2 over the nonzero entries.  mode 0: dn[I];
 * 1: cnt[I] = strong links; 2: adj and w from gptr[I]. */
FM_HD void fm_amg_node_links(const FmAmgArgs *a, int I, int mode) {
  const int64_t r0 = a->node_ptr[I], r1 = a->node_ptr[I + 1];
  int64_t cur[FM_AMG_NB], end[FM_AMG_NB];
  const int k = (int)(r1 - r0);
  for (int q = 0; q < k; q++) {
    cur[q] = fm_amg_rbeg(a->Aptr, a->Abs, r0 + q);
    end[q] = fm_amg_rend(a->Aptr, a->Abs, r0 + q);
  }
  const int skipped = a->skip && a->skip[I];
  int64_t o = mode == 2 ? a->gptr[I] : 0;
  int links = 0;
  double diag = 0.0;
  for (;;) {
    int J = -1;
    for (int q = 0; q < k; q++)
      if (cur[q] < end[q]) {
        const int Jq = a->node_of[fm_amg_col(a->Acol, a->Abs, cur[q])];
        if (J < 0 || Jq < J)
          J = Jq;
      }
    if (J < 0)
      break;
    double acc = 0.0;
    for (int q = 0; q < k; q++)
      while (cur[q] < end[q] &&
             a->node_of[fm_amg_col(a->Acol, a->Abs, cur[q])] == J) {
        const double v = fm_amg_val(a->Aval, a->Abs, r0 + q, cur[q]);
        acc = FM_AMG_MADD(acc, v, v);
        cur[q]++;
      }
    if (J == I) {
      diag = acc;
      continue;
    }
    if (mode == 0 || skipped || !(acc > 0.0) || (a->skip && a->skip[J]))
      continue;
    if (a->theta > 0 && !(acc > a->theta * a->theta * a->dn[I] * a->dn[J]))
      continue;
    if (mode == 2 && o < a->gptr[I + 1]) { /* the count's links, no more */
      a->adj[o] = J;
      a->w[o] = acc;
      o++;
    }
    links++;
  }
  if (mode == 0)
    a->dn[I] = sqrt(diag);
  else if (mode == 1)
    a->cnt[I] = skipped ? 0 : links;
}

/* m[I] = max of t over I and its links */
FM_HD void fm_amg_mis_max(const FmAmgArgs *a, int I, const uint64_t *t,
                          uint64_t *m) {
  uint64_t v = t[I];
  for (int64_t e = a->gptr[I]; e < a->gptr[I + 1]; e++) {
    const uint64_t u = t[a->adj[e]];
    if (u > v)
      v = u;
  }
  m[I] = v;
}

/* Bell et al. 2012, algorithm 3: an undecided node whose tuple is the
 * largest within distance 2 joins the set; one within distance 2 of a set
 * node leaves. */
FM_HD void fm_amg_mis_update(const FmAmgArgs *a, int I) {
  uint64_t t = a->t[I];
  if (fm_amg_state(t) == FM_AMG_UNDECIDED) {
    if (a->m2[I] == t)
      t = fm_amg_tuple(FM_AMG_IN, I);
    else if (fm_amg_state(a->m2[I]) == FM_AMG_IN)
      t = fm_amg_tuple(FM_AMG_OUT, I);
  }
  a->t[I] = t;
  a->cnt[I] = fm_amg_state(t) == FM_AMG_UNDECIDED;
}

/* The aggregate of I's most strongly linked neighbour J with
 * from[J] >= 0 (ties: the smaller J), or -1; with roots, only set nodes
 * count and from is their number. */
FM_HD int fm_amg_strongest(const FmAmgArgs *a, int I, const int *from,
                           const int64_t *roots) {
  double best = -1.0;
  int g = -1;
  for (int64_t e = a->gptr[I]; e < a->gptr[I + 1]; e++) {
    const int J = a->adj[e];
    int gj;
    if (roots)
      gj = fm_amg_state(a->t[J]) == FM_AMG_IN ? (int)roots[J] : -1;
    else
      gj = from[J];
    if (gj >= 0 && a->w[e] > best) {
      best = a->w[e];
      g = gj;
    }
  }
  return g;
}

/* ---- the tentative prolongator ---- */

/* Columns j and c of Q over the rows of the aggregate's members
 * perm[t0..t1), dotted. */
FM_HD double fm_amg_agg_dot(const FmAmgArgs *a, int64_t t0, int64_t t1, int j,
                            int c) {
  double s = 0.0;
  for (int64_t t = t0; t < t1; t++) {
    const int I = a->perm[t];
    for (int64_t i = a->node_ptr[I]; i < a->node_ptr[I + 1]; i++)
      s = FM_AMG_MADD(s, a->Q[i * FM_AMG_NB + j], a->Q[i * FM_AMG_NB + c]);
  }
  return s;
}

/* Aggregate g: the rows of its DOFs (members in node order) hold B's rows
 * on entry to Q; modified Gram-Schmidt, twice, over the FM_AMG_NB columns,
 * dropping those dependent on the kept ones (norm <= 1e-10 of the
 * original) or zero; the kept orthonormal columns land in Q's first kof[g]
 * slots of each row and R (kof x NB, row-major) in Rt. */
FM_HD void fm_amg_qr(const FmAmgArgs *a, int g) {
  const int64_t t0 = a->start[g], t1 = a->start[g + 1];
  double *Ra = a->Rt + (int64_t)g * FM_AMG_NB * FM_AMG_NB;
  int64_t m = 0;
  for (int64_t t = t0; t < t1; t++) {
    const int I = a->perm[t];
    for (int64_t i = a->node_ptr[I]; i < a->node_ptr[I + 1]; i++) {
      for (int c = 0; c < FM_AMG_NB; c++)
        a->Q[i * FM_AMG_NB + c] = a->B[i * FM_AMG_NB + c];
      m++;
    }
  }
  int k = 0;
  for (int c = 0; c < FM_AMG_NB; c++) {
    /* column c (slot c) against the kept ones (slots 0..k-1) */
    const double n0 = sqrt(fm_amg_agg_dot(a, t0, t1, c, c));
    for (int pass = 0; pass < 2; pass++)
      for (int j = 0; j < k; j++) {
        const double s = fm_amg_agg_dot(a, t0, t1, j, c);
        Ra[j * FM_AMG_NB + c] += s;
        for (int64_t t = t0; t < t1; t++) {
          const int I = a->perm[t];
          for (int64_t i = a->node_ptr[I]; i < a->node_ptr[I + 1]; i++)
            a->Q[i * FM_AMG_NB + c] = FM_AMG_MADD(a->Q[i * FM_AMG_NB + c], -s,
                                                  a->Q[i * FM_AMG_NB + j]);
        }
      }
    const double nw = sqrt(fm_amg_agg_dot(a, t0, t1, c, c));
    if (n0 > 0 && nw > 1e-10 * n0 && k < m) {
      Ra[k * FM_AMG_NB + c] = nw;
      for (int64_t t = t0; t < t1; t++) {
        const int I = a->perm[t];
        for (int64_t i = a->node_ptr[I]; i < a->node_ptr[I + 1]; i++)
          a->Q[i * FM_AMG_NB + k] = a->Q[i * FM_AMG_NB + c] / nw;
      }
      k++;
    }
  }
  a->kof[g] = k;
}

/* a pseudo-random value in [-0.5, 0.5) for row i (the Lanczos start) */
FM_HD double fm_amg_random(int64_t i) {
  const uint32_t h = fm_amg_hash((uint32_t)i ^ 0x9E3779B9u) ^
                     fm_amg_hash((uint32_t)(i >> 32) + 0x85EBCA6Bu);
  return (double)h / 4294967296.0 - 0.5;
}

/* ---- the Galerkin product by node blocks ---- */

/* The position of x in v[lo..hi) (sorted), or -1. */
FM_HD int64_t fm_amg_find(const int *v, int64_t lo, int64_t hi, int x) {
  const int64_t end = hi;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (v[mid] < x)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < end && v[lo] == x ? lo : -1;
}

/* The union of the sorted lists Y(J), J in X(I), in increasing order: a
 * merge with a cursor per list (the cursors are I's entries of ucur).
 * fill 0: cnt[I] = its size; 1: into zcol from zptr[I]. */
FM_HD void fm_amg_union(const FmAmgArgs *a, int I, int fill) {
  const int64_t x0 = a->xptr[I], x1 = a->xptr[I + 1];
  for (int64_t e = x0; e < x1; e++)
    a->ucur[e] = a->yptr[a->xcol ? a->xcol[e] : (int)e];
  int64_t n = 0;
  const int64_t o = fill ? a->zptr[I] : 0, cap = fill ? a->zptr[I + 1] - o : 0;
  int last = -1;
  for (;;) {
    int m = -1;
    for (int64_t e = x0; e < x1; e++) {
      const int J = a->xcol ? a->xcol[e] : (int)e;
      const int64_t end = a->yptr[J + 1], k0 = a->ucur[e];
      int64_t k = k0;
      int v = -1;
      for (; k < end; k++) {
        v = a->ymap ? a->ymap[a->ycol[k]] : a->ycol[k];
        if (v > last)
          break;
      }
      if (k != k0)
        a->ucur[e] = k;
      if (k < end && (m < 0 || v < m))
        m = v;
    }
    if (m < 0)
      break;
    if (fill && n < cap)
      a->zcol[o + n] = m;
    n++;
    last = m;
  }
  if (!fill)
    a->cnt[I] = n;
}

/* The rows of node I of C = L M, where C's rows hold the blocks Z(I) in
 * full (zero where the product has no term): the rows rofs[I]..rofs[I+1]
 * of L are merged by the node J (lmap) of their columns; for each J, the
 * blocks g of M's rows of node J (M's block pattern mb, the same for all
 * of J's rows) are found once in Z(I) and added as small dense products.
 * With s (smoothing the tentative prolongator): then C(i,:) = s_i C(i,:)
 * + Pt(i,:).  Each entry sums its terms in the order of L's row, as the
 * scalar product (csr.c) does.  cnt[I] = 1 where a block is missing. */
FM_HD void fm_amg_block_product(const FmAmgArgs *a, int I) {
  const int64_t r0 = a->rofs[I], z0 = a->zptr[I], z1 = a->zptr[I + 1];
  const int64_t c0 = a->crow ? a->crow[I] : r0;
  const int k = (int)(a->rofs[I + 1] - r0);
  int64_t cur[FM_AMG_NB], end[FM_AMG_NB], seg[FM_AMG_NB];
  double *c = a->Cval;
  int bad = k > FM_AMG_NB;
  if ((a->crow && a->crow[I + 1] == c0) ||
      (a->chunk_of && a->chunk_of[I] != a->chunk)) { /* not this chunk's */
    a->cnt[I] = 0;
    return;
  }
  for (int q = 0; q < k && !bad; q++) {
    cur[q] = fm_amg_rbeg(a->Lptr, a->Lbs, r0 + q);
    end[q] = fm_amg_rend(a->Lptr, a->Lbs, r0 + q);
  }
  for (; !bad;) {
    int J = -1;
    for (int q = 0; q < k; q++)
      if (cur[q] < end[q]) {
        const int Jq = a->lmap[fm_amg_col(a->Lcol, a->Lbs, cur[q])];
        if (J < 0 || Jq < J)
          J = Jq;
      }
    if (J < 0)
      break;
    for (int q = 0; q < k; q++) {
      seg[q] = cur[q];
      while (seg[q] < end[q] &&
             a->lmap[fm_amg_col(a->Lcol, a->Lbs, seg[q])] == J)
        seg[q]++;
    }
    /* M's blocks and Z(I) are both sorted: walk Z(I) along */
    int64_t e = z0;
    for (int64_t em = a->mbptr[J]; em < a->mbptr[J + 1]; em++) {
      const int g = a->mbcol[em];
      while (e < z1 && a->zcol[e] < g)
        e++;
      if (e >= z1 || a->zcol[e] != g) {
        bad = 1;
        continue;
      }
      const int w = (int)(a->gofs[g + 1] - a->gofs[g]);
      const int64_t moff = a->mboff[em];
      if (w > FM_AMG_NB) {
        bad = 1;
        continue;
      }
      /* M's rows of node J (in a chunk of A P: they must be in it) */
      const int64_t mshift = a->mcrow ? a->mcrow[J] - a->mofs[J] : 0;
      if (a->mcrow && a->mcrow[J + 1] == a->mcrow[J]) {
        bad = 1;
        continue;
      }
      for (int q = 0; q < k; q++) {
        double *cq = c + a->Cptr[c0 + q] + a->zoff[e], acc[FM_AMG_NB];
        for (int t = 0; t < w; t++)
          acc[t] = cq[t];
        for (int64_t kl = cur[q]; kl < seg[q]; kl++) {
          const double v = fm_amg_val(a->Lval, a->Lbs, r0 + q, kl);
          const double *m = a->Mval +
                            a->Mptr[fm_amg_col(a->Lcol, a->Lbs, kl) + mshift] +
                            moff;
          for (int t = 0; t < w; t++)
            acc[t] = FM_AMG_MADD(acc[t], v, m[t]);
        }
        for (int t = 0; t < w; t++)
          cq[t] = acc[t];
      }
    }
    for (int q = 0; q < k; q++)
      cur[q] = seg[q];
  }
  if (a->s && !bad)
    for (int q = 0; q < k; q++) {
      const int64_t row = r0 + q;
      for (int64_t p = a->Cptr[row]; p < a->Cptr[row + 1]; p++)
        c[p] = FM_AMG_MUL(a->s[row], c[p]);
      for (int64_t t = a->Ptptr[row]; t < a->Ptptr[row + 1]; t++) {
        const int col = a->Ptcol[t], g = a->gof[col];
        const int64_t e = fm_amg_find(a->zcol, z0, z1, g);
        if (e < 0) {
          bad = 1;
          continue;
        }
        const int64_t p = a->Cptr[row] + a->zoff[e] + (col - a->gofs[g]);
        c[p] = a->Ptval[t] + c[p];
      }
    }
  a->cnt[I] = bad;
}

/* The rows of aggregate g (cptr[g]..cptr[g+1]) of R = P^T, gathered: the
 * nodes I of the blocks Z(g) (zoff with the nodes' DOFs as groups) and,
 * for each, the columns of P's block (I, g) (X: P's blocks, xoff their
 * offsets). */
FM_HD void fm_amg_r_fill(const FmAmgArgs *a, int g) {
  int bad = 0;
  if (a->chunk_of && a->chunk_of[g] != a->chunk) { /* not this chunk's */
    a->cnt[g] = 0;
    return;
  }
  for (int64_t e = a->zptr[g]; e < a->zptr[g + 1]; e++) {
    const int I = a->zcol[e];
    const int64_t p = fm_amg_find(a->xcol, a->xptr[I], a->xptr[I + 1], g);
    if (p < 0) {
      bad = 1;
      continue;
    }
    for (int64_t r = a->cptr[g]; r < a->cptr[g + 1]; r++) {
      const int64_t src = a->xoff[p] + (r - a->cptr[g]);
      const int64_t dst = a->Cptr[r] + a->zoff[e] - a->node_ptr[I];
      for (int64_t i = a->node_ptr[I]; i < a->node_ptr[I + 1]; i++)
        a->Cval[dst + i] = a->Mval[a->Mptr[i] + src];
    }
  }
  a->cnt[g] = bad;
}

/* ---- one step at index i ---- */

FM_HD void fm_amg_step(int step, int64_t ii, const FmAmgArgs *a) {
  const int i = (int)ii;
  switch (step) {
  case FM_AMG_S_SORTED: {
    int bad = 0;
    const int64_t k1 = fm_amg_rend(a->Aptr, a->Abs, i);
    for (int64_t k = fm_amg_rbeg(a->Aptr, a->Abs, i) + 1; k < k1; k++)
      bad |=
          fm_amg_col(a->Acol, a->Abs, k) <= fm_amg_col(a->Acol, a->Abs, k - 1);
    a->cnt[i] = bad;
    break;
  }
  case FM_AMG_S_NODE_OF:
    for (int64_t r = a->node_ptr[i]; r < a->node_ptr[i + 1]; r++)
      a->node_of[r] = i;
    break;
  case FM_AMG_S_DIAG_NORM:
    fm_amg_node_links(a, i, 0);
    break;
  case FM_AMG_S_LINK_COUNT:
    fm_amg_node_links(a, i, 1);
    break;
  case FM_AMG_S_LINK_FILL:
    fm_amg_node_links(a, i, 2);
    break;
  case FM_AMG_S_MIS_INIT:
    a->t[i] =
        fm_amg_tuple(a->skip && a->skip[i] ? FM_AMG_OUT : FM_AMG_UNDECIDED, i);
    break;
  case FM_AMG_S_MIS_MAX1:
    fm_amg_mis_max(a, i, a->t, a->m1);
    break;
  case FM_AMG_S_MIS_MAX2:
    fm_amg_mis_max(a, i, a->m1, a->m2);
    break;
  case FM_AMG_S_MIS_UPDATE:
    fm_amg_mis_update(a, i);
    break;
  case FM_AMG_S_ROOT_FLAG:
    a->cnt[i] = fm_amg_state(a->t[i]) == FM_AMG_IN;
    break;
  case FM_AMG_S_ATTACH1:
    if (a->skip && a->skip[i])
      a->agg1[i] = -1;
    else if (fm_amg_state(a->t[i]) == FM_AMG_IN)
      a->agg1[i] = (int)a->cnt[i];
    else
      a->agg1[i] = fm_amg_strongest(a, i, 0, a->cnt);
    break;
  case FM_AMG_S_ATTACH2:
    if (a->agg1[i] >= 0 || (a->skip && a->skip[i]))
      a->agg[i] = a->agg1[i];
    else
      a->agg[i] = fm_amg_strongest(a, i, a->agg1, 0);
    break;
  case FM_AMG_S_LEFT_FLAG:
    a->cnt[i] = a->agg[i] < 0 && !(a->skip && a->skip[i]);
    break;
  case FM_AMG_S_LEFT_ID:
    if (a->agg[i] < 0 && !(a->skip && a->skip[i]))
      a->agg[i] = a->na + (int)a->cnt[i];
    break;
  case FM_AMG_S_AGG_KEY:
    a->key[i] = a->agg[i] >= 0 ? a->agg[i] : a->na;
    break;
  case FM_AMG_S_AGG_START: {
    const int kk = a->key[a->perm[i]];
    const int kp = i > 0 ? a->key[a->perm[i - 1]] : -1;
    for (int j = kp + 1; j <= kk; j++)
      a->start[j] = i;
    if (i == a->nnodes - 1)
      for (int j = kk + 1; j <= a->na; j++)
        a->start[j] = a->nnodes;
    break;
  }
  case FM_AMG_S_QR:
    fm_amg_qr(a, i);
    break;
  case FM_AMG_S_PT_COUNT: {
    const int g = a->agg[a->node_of[i]];
    a->cnt[i] = g >= 0 ? a->cptr[g + 1] - a->cptr[g] : 0;
    break;
  }
  case FM_AMG_S_PT_FILL: {
    const int g = a->agg[a->node_of[i]];
    if (g < 0)
      break;
    const int64_t o = a->Ptptr[i], kg = a->cptr[g + 1] - a->cptr[g];
    for (int64_t j = 0; j < kg; j++) {
      a->Ptcol[o + j] = (int)(a->cptr[g] + j);
      a->Ptval[o + j] = a->Q[(int64_t)i * FM_AMG_NB + j];
    }
    break;
  }
  case FM_AMG_S_BC_FILL:
    for (int64_t j = 0; j < a->cptr[i + 1] - a->cptr[i]; j++)
      for (int c = 0; c < FM_AMG_NB; c++)
        a->Bc[(a->cptr[i] + j) * FM_AMG_NB + c] =
            a->Rt[((int64_t)i * FM_AMG_NB + j) * FM_AMG_NB + c];
    break;
  case FM_AMG_S_DINV: {
    double d = 0.0;
    const int64_t k1 = fm_amg_rend(a->Aptr, a->Abs, i);
    for (int64_t k = fm_amg_rbeg(a->Aptr, a->Abs, i); k < k1; k++)
      if (fm_amg_col(a->Acol, a->Abs, k) == i)
        d = fm_amg_val(a->Aval, a->Abs, i, k);
    a->dinv[i] = d > 0.0 ? 1.0 / d : 0.0;
    a->cnt[i] = !(d > 0.0);
    break;
  }
  case FM_AMG_S_SCALE:
    a->s[i] = a->c * a->dinv[i];
    break;
  case FM_AMG_S_LZ_INIT:
    a->r[i] = fm_amg_random(ii);
    a->z[i] = a->dinv[i] * a->r[i];
    a->p[i] = a->z[i];
    a->prod[i] = a->r[i] * a->z[i];
    break;
  case FM_AMG_S_LZ_PQ:
    a->prod[i] = a->p[i] * a->q[i];
    break;
  case FM_AMG_S_LZ_UPDATE:
    a->r[i] = FM_AMG_MADD(a->r[i], -a->alpha, a->q[i]);
    a->z[i] = a->dinv[i] * a->r[i];
    a->prod[i] = a->r[i] * a->z[i];
    break;
  case FM_AMG_S_LZ_DIR:
    a->p[i] = FM_AMG_MADD(a->z[i], a->beta, a->p[i]);
    break;
  case FM_AMG_S_LZ_SPMV: {
    double y = 0.0;
    const int64_t k1 = fm_amg_rend(a->Aptr, a->Abs, i);
    for (int64_t k = fm_amg_rbeg(a->Aptr, a->Abs, i); k < k1; k++)
      y = FM_AMG_MADD(y, fm_amg_val(a->Aval, a->Abs, i, k),
                      a->p[fm_amg_col(a->Acol, a->Abs, k)]);
    a->q[i] = y;
    break;
  }
  case FM_AMG_S_BLOCK_SUM: {
    const int64_t r0 = ii * FM_AMG_SUM_BLOCK;
    const int64_t r1 =
        r0 + FM_AMG_SUM_BLOCK < a->n ? r0 + FM_AMG_SUM_BLOCK : a->n;
    double t = 0.0;
    for (int64_t r = r0; r < r1; r++)
      t += a->prod[r];
    a->bsum[ii] = t;
    break;
  }
  case FM_AMG_S_UNION_COUNT:
    fm_amg_union(a, i, 0);
    break;
  case FM_AMG_S_UNION_FILL:
    fm_amg_union(a, i, 1);
    break;
  case FM_AMG_S_BLOCK_OFF: {
    int64_t off = 0;
    for (int64_t e = a->zptr[i]; e < a->zptr[i + 1]; e++) {
      a->zoff[e] = (int)off;
      off += a->gofs[a->zcol[e] + 1] - a->gofs[a->zcol[e]];
    }
    a->wid[i] = off;
    break;
  }
  case FM_AMG_S_ENTRY_KEY:
    for (int64_t e = a->zptr[i]; e < a->zptr[i + 1]; e++) {
      a->key[e] = a->zcol[e];
      a->enode[e] = i;
    }
    break;
  case FM_AMG_S_TR_COL:
    a->tcol[i] = a->enode[a->perm[i]];
    break;
  case FM_AMG_S_ROW_COUNT:
    a->cnt[i] = a->chunk_of && a->chunk_of[a->rnode[i]] != a->chunk
                    ? 0
                    : a->wid[a->rnode[i]];
    break;
  case FM_AMG_S_ROW_COLS: {
    const int I = a->rnode[i];
    int64_t o = a->Cptr[i];
    if (a->chunk_of && a->chunk_of[I] != a->chunk)
      break;
    for (int64_t e = a->zptr[I]; e < a->zptr[I + 1]; e++)
      for (int64_t c = a->gofs[a->zcol[e]]; c < a->gofs[a->zcol[e] + 1]; c++)
        a->Ccol[o++] = (int)c;
    break;
  }
  case FM_AMG_S_BLOCK_PRODUCT:
    fm_amg_block_product(a, i);
    break;
  case FM_AMG_S_R_FILL:
    fm_amg_r_fill(a, i);
    break;
  case FM_AMG_S_AGG_POS:
    a->posc[i] =
        a->start[i] < a->start[i + 1] ? a->pos[a->perm[a->start[i]]] : a->lo;
    break;
  case FM_AMG_S_POS_KEY: {
    const double f = a->hi > a->lo ? (a->posc[i] - a->lo) / (a->hi - a->lo) : 0;
    a->key[i] = f > 0 ? (f < 1 ? (int)(1023.0 * f) : 1023) : 0;
    break;
  }
  case FM_AMG_S_CHUNK_OF:
    a->chunk_of[a->perm[i]] = (int)(ii * a->nchunks / a->nnodes);
    break;
  case FM_AMG_S_CHUNK_ROWS: {
    int in = 0;
    for (int64_t e = a->xptr[i]; e < a->xptr[i + 1] && !in; e++)
      in = a->chunk_of[a->xcol[e]] == a->chunk;
    const int64_t dofs = a->node_ptr[i + 1] - a->node_ptr[i];
    a->cnt[i] = in ? dofs : 0;
    a->cnt2[i] = in ? dofs * a->wid[i] : 0;
    break;
  }
  case FM_AMG_S_CHUNK_PTR:
    for (int64_t r = a->crow[i]; r < a->crow[i + 1]; r++) {
      a->optr[r] = a->cnt2[i] + (r - a->crow[i]) * a->wid[i];
      a->onode[r] = i;
    }
    break;
  default:
    break;
  }
}

#endif
