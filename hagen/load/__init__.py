"""load: the two inputs. hagen.load.site reads the site spec; hagen.load.rows,
snapshot and clusterdb produce the ClusterDB rows, the same shape from either source;
hagen.load.dsn is the one reading of a DSN."""
