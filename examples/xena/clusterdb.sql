-- hagen ClusterDB rows: psql -f schemas/clusterdb.sql, then this file
BEGIN;
INSERT INTO cluster (id, name, basename, dns_domain, dbversion, actif_ha, node_backbone_ipaddr) VALUES
  (1, 'xena', 'xena', 'cluster', '21.3', false, NULL);
SELECT setval(pg_get_serial_sequence('cluster', 'id'), (SELECT max(id) FROM cluster));
INSERT INTO network (id, cluster_id, name, function, techno, subnet, gateway, suffix) VALUES
  (1, 1, 'admin', 'mn', 'ethernet', '10.1.0.0/16', NULL, NULL),
  (2, 1, 'backbone', 'bb', 'ethernet', '192.168.118.0/24', NULL, 'bk'),
  (3, 1, 'bmc', 'bmc', 'ethernet', '10.2.0.0/16', NULL, 'bmc'),
  (4, 1, 'interconnect', 'ic', 'infiniband', '10.10.0.0/16', NULL, 'ic0');
SELECT setval(pg_get_serial_sequence('network', 'id'), (SELECT max(id) FROM network));
INSERT INTO ftype (id, label) VALUES
  (1, 'compute'),
  (2, 'login'),
  (3, 'mds'),
  (4, 'mngt'),
  (5, 'nfs'),
  (6, 'oss');
SELECT setval(pg_get_serial_sequence('ftype', 'id'), (SELECT max(id) FROM ftype));
INSERT INTO hwmanager (id, name, type, model) VALUES
  (1, 'xena0-bmc', 'bmc', 'BMC'),
  (2, 'xena1-bmc', 'bmc', 'BMC'),
  (3, 'xena2-bmc', 'bmc', 'BMC'),
  (4, 'xena10-bmc', 'bmc', 'BMC'),
  (5, 'xena11-bmc', 'bmc', 'BMC'),
  (6, 'xena12-bmc', 'bmc', 'BMC'),
  (7, 'xena13-bmc', 'bmc', 'BMC'),
  (8, 'xena20-bmc', 'bmc', 'BMC'),
  (9, 'xena21-bmc', 'bmc', 'BMC'),
  (10, 'xena22-bmc', 'bmc', 'BMC'),
  (11, 'xena23-bmc', 'bmc', 'BMC'),
  (12, 'xena24-bmc', 'bmc', 'BMC'),
  (13, 'xena25-bmc', 'bmc', 'BMC'),
  (14, 'xena26-bmc', 'bmc', 'BMC'),
  (15, 'xena27-bmc', 'bmc', 'BMC'),
  (16, 'xena30-bmc', 'bmc', 'BMC');
SELECT setval(pg_get_serial_sequence('hwmanager', 'id'), (SELECT max(id) FROM hwmanager));
INSERT INTO hwmanager_port (id, hwmanager_id, network_id, ipaddr, hwaddr) VALUES
  (1, 1, 3, '10.2.0.1', NULL),
  (2, 2, 3, '10.2.1.1', NULL),
  (3, 3, 3, '10.2.1.2', NULL),
  (4, 4, 3, '10.2.1.10', NULL),
  (5, 5, 3, '10.2.1.11', NULL),
  (6, 6, 3, '10.2.1.12', NULL),
  (7, 7, 3, '10.2.1.13', NULL),
  (8, 8, 3, '10.2.2.20', NULL),
  (9, 9, 3, '10.2.2.21', NULL),
  (10, 10, 3, '10.2.2.22', NULL),
  (11, 11, 3, '10.2.2.23', NULL),
  (12, 12, 3, '10.2.2.24', NULL),
  (13, 13, 3, '10.2.2.25', NULL),
  (14, 14, 3, '10.2.2.26', NULL),
  (15, 15, 3, '10.2.2.27', NULL),
  (16, 16, 3, '10.2.3.30', NULL);
SELECT setval(pg_get_serial_sequence('hwmanager_port', 'id'), (SELECT max(id) FROM hwmanager_port));
INSERT INTO node (id, name, model, status, hwmanager_id) VALUES
  (1, 'xena0', 'R440', 'managed', 1),
  (2, 'xena1', 'R460', 'managed', 2),
  (3, 'xena2', 'R460', 'managed', 3),
  (4, 'xena10', 'R460', 'managed', 4),
  (5, 'xena11', 'R440', 'managed', 5),
  (6, 'xena12', 'R460', 'managed', 6),
  (7, 'xena13', 'R440', 'managed', 7),
  (8, 'xena20', 'R422', 'managed', 8),
  (9, 'xena21', 'R422', 'managed', 9),
  (10, 'xena22', 'R422', 'managed', 10),
  (11, 'xena23', 'R422', 'managed', 11),
  (12, 'xena24', 'R422', 'managed', 12),
  (13, 'xena25', 'R422', 'managed', 13),
  (14, 'xena26', 'R422', 'managed', 14),
  (15, 'xena27', 'R422', 'managed', 15),
  (16, 'xena30', 'R423', 'managed', 16);
SELECT setval(pg_get_serial_sequence('node', 'id'), (SELECT max(id) FROM node));
INSERT INTO node_ftype (node_id, ftype_id) VALUES
  (1, 4),
  (2, 3),
  (3, 3),
  (4, 6),
  (5, 5),
  (6, 6),
  (7, 5),
  (8, 1),
  (9, 1),
  (10, 1),
  (11, 1),
  (12, 1),
  (13, 1),
  (14, 1),
  (15, 1),
  (16, 2);
INSERT INTO node_port (id, node_id, network_id, interface_name, ipaddr, hwaddr) VALUES
  (1, 1, 1, 'eth0', '10.1.0.1', NULL),
  (2, 1, 2, 'eth1', '192.168.118.1', NULL),
  (3, 2, 1, 'eth0', '10.1.1.1', NULL),
  (4, 2, 4, 'ib0', '10.10.1.1', NULL),
  (5, 3, 1, 'eth0', '10.1.1.2', NULL),
  (6, 3, 4, 'ib0', '10.10.1.2', NULL),
  (7, 4, 1, 'eth0', '10.1.1.10', NULL),
  (8, 4, 4, 'ib0', '10.10.1.10', NULL),
  (9, 5, 1, 'eth0', '10.1.1.11', NULL),
  (10, 5, 2, 'eth1', '192.168.118.11', NULL),
  (11, 5, 4, 'ib0', '10.10.1.11', NULL),
  (12, 6, 1, 'eth0', '10.1.1.12', NULL),
  (13, 6, 4, 'ib0', '10.10.1.12', NULL),
  (14, 7, 1, 'eth0', '10.1.1.13', NULL),
  (15, 7, 2, 'eth1', '192.168.118.13', NULL),
  (16, 7, 4, 'ib0', '10.10.1.13', NULL),
  (17, 8, 1, 'eth0', '10.1.2.20', NULL),
  (18, 8, 4, 'ib0', '10.10.2.20', NULL),
  (19, 9, 1, 'eth0', '10.1.2.21', NULL),
  (20, 9, 4, 'ib0', '10.10.2.21', NULL),
  (21, 10, 1, 'eth0', '10.1.2.22', NULL),
  (22, 10, 4, 'ib0', '10.10.2.22', NULL),
  (23, 11, 1, 'eth0', '10.1.2.23', NULL),
  (24, 11, 4, 'ib0', '10.10.2.23', NULL),
  (25, 12, 1, 'eth0', '10.1.2.24', NULL),
  (26, 12, 4, 'ib0', '10.10.2.24', NULL),
  (27, 13, 1, 'eth0', '10.1.2.25', NULL),
  (28, 13, 4, 'ib0', '10.10.2.25', NULL),
  (29, 14, 1, 'eth0', '10.1.2.26', NULL),
  (30, 14, 4, 'ib0', '10.10.2.26', NULL),
  (31, 15, 1, 'eth0', '10.1.2.27', NULL),
  (32, 15, 4, 'ib0', '10.10.2.27', NULL),
  (33, 16, 1, 'eth0', '10.1.3.30', NULL),
  (34, 16, 2, 'eth1', '192.168.118.30', NULL),
  (35, 16, 4, 'ib0', '10.10.3.30', NULL);
SELECT setval(pg_get_serial_sequence('node_port', 'id'), (SELECT max(id) FROM node_port));
INSERT INTO disk_array (id, name, model) VALUES
  (1, 'xena-da0', 'FDA2500'),
  (2, 'xena-da1', 'FDA2500'),
  (3, 'xena-da2', 'FDA2500'),
  (4, 'xena-da3', 'FDA2500');
SELECT setval(pg_get_serial_sequence('disk_array', 'id'), (SELECT max(id) FROM disk_array));
INSERT INTO da_iocell (id, name, type, quorum_device) VALUES
  (1, 'xena_mds', 'lustre', '/dev/ldn.da1.0'),
  (2, 'xena_nfs', 'nfs', '/dev/ldn.da0.0'),
  (3, 'xena_oss', 'lustre', '/dev/ldn.da2.0');
SELECT setval(pg_get_serial_sequence('da_iocell', 'id'), (SELECT max(id) FROM da_iocell));
INSERT INTO da_iocell_component (iocell_id, node_id, disk_array_id) VALUES
  (1, NULL, 2),
  (1, 2, NULL),
  (1, 3, NULL),
  (2, NULL, 1),
  (2, 5, NULL),
  (2, 7, NULL),
  (3, NULL, 3),
  (3, NULL, 4),
  (3, 4, NULL),
  (3, 6, NULL);
INSERT INTO metaservice_port (id, name, type, network_id, ipaddr, iocell_id) VALUES
  (1, 'xenanfs', 'alias', 1, '10.1.1.76/16', 2),
  (2, 'xenanfs_BK', 'alias', 2, '192.168.118.135/24', 2),
  (3, 'xenanfs_ic0', 'alias', 4, '10.10.1.76/16', 2);
SELECT setval(pg_get_serial_sequence('metaservice_port', 'id'), (SELECT max(id) FROM metaservice_port));
INSERT INTO lustre_io_node (node_id, ha_node_id, cluster_id, net_status, storage_status, lustre_status) VALUES
  (2, 3, 1, 'OK', 'OK', 'OK'),
  (3, 2, 1, 'OK', 'OK', 'OK'),
  (4, 6, 1, 'OK', 'OK', 'OK'),
  (6, 4, 1, 'OK', 'OK', 'OK');
INSERT INTO lustre_fs (fs_name, mount_path, mount_options, stripe_size, stripe_count, stripe_pattern, nettype, fstype, failover, ha_timeout, mdt_mkfs_options, mdt_inode_size, mdt_mount_options, ost_mkfs_options, ost_inode_size, ost_mount_options, quota, quota_options, description) VALUES
  ('data', '/data', 'acl,user_xattr', 1048576, 1, 0, 'o2ib', 'ldiskfs', NULL, 30, '-b 4096 -i 4096', 512, 'acl,user_xattr', '-b 4096', NULL, 'extents,mballoc', 'yes', 'quotaon=ug', 'project data with user and group quotas'),
  ('scratch', '/scratch', 'acl,user_xattr', 1048576, 0, 0, 'o2ib', 'ldiskfs', 'yes', 30, '-b 4096 -i 4096', 512, 'acl,user_xattr', '-b 4096', NULL, 'extents,mballoc', 'no', NULL, 'scratch space of the compute nodes, on both Lustre cells');
INSERT INTO lustre_mdt (mdt_name, fs_name, mds_node_name, mds_ha_node, mds_active_node, mdt_dev, mdt_size, config_status, status) VALUES
  ('data_mdt', 'data', 'xena2', 'xena1', 'xena2', '/dev/ldn.da1.2', 286261248, 'formated', 'offline'),
  ('scratch_mdt', 'scratch', 'xena1', 'xena2', 'xena1', '/dev/ldn.da1.1', 286261248, 'formated', 'offline');
INSERT INTO lustre_ost (ost_name, fs_name, oss_node_name, oss_ha_node, oss_active_node, ost_dev, ost_size, config_status, status) VALUES
  ('data_ost0', 'data', 'xena12', 'xena10', 'xena12', '/dev/ldn.da2.3', 1717567488, 'formated', 'offline'),
  ('data_ost1', 'data', 'xena10', 'xena12', 'xena10', '/dev/ldn.da3.3', 1717567488, 'formated', 'offline'),
  ('scratch_ost0', 'scratch', 'xena10', 'xena12', 'xena10', '/dev/ldn.da2.1', 1717567488, 'formated', 'offline'),
  ('scratch_ost1', 'scratch', 'xena12', 'xena10', 'xena12', '/dev/ldn.da2.2', 1717567488, 'formated', 'offline'),
  ('scratch_ost2', 'scratch', 'xena10', 'xena12', 'xena10', '/dev/ldn.da3.1', 1717567488, 'formated', 'offline'),
  ('scratch_ost3', 'scratch', 'xena12', 'xena10', 'xena12', '/dev/ldn.da3.2', 1717567488, 'formated', 'offline');
INSERT INTO lustre_mount (fs_name, mnt_node_name, mount_options) VALUES
  ('data', 'xena20', NULL),
  ('data', 'xena21', NULL),
  ('data', 'xena22', NULL),
  ('data', 'xena23', NULL),
  ('data', 'xena24', NULL),
  ('data', 'xena25', NULL),
  ('data', 'xena26', NULL),
  ('data', 'xena27', NULL),
  ('data', 'xena30', NULL),
  ('scratch', 'xena20', NULL),
  ('scratch', 'xena21', NULL),
  ('scratch', 'xena22', NULL),
  ('scratch', 'xena23', NULL),
  ('scratch', 'xena24', NULL),
  ('scratch', 'xena25', NULL),
  ('scratch', 'xena26', NULL),
  ('scratch', 'xena27', NULL),
  ('scratch', 'xena30', NULL);
COMMIT;
