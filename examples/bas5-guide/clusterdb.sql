-- hagen ClusterDB rows: psql -f schemas/clusterdb.sql, then this file
BEGIN;
INSERT INTO cluster (id, name, basename, dns_domain, dbversion, actif_ha, node_backbone_ipaddr) VALUES
  (1, 'ns', 'ns', 'cluster', '21.3', true, '176.18.118.65');
SELECT setval(pg_get_serial_sequence('cluster', 'id'), (SELECT max(id) FROM cluster));
INSERT INTO network (id, cluster_id, name, function, techno, subnet, gateway, suffix) VALUES
  (1, 1, 'admin', 'mn', 'ethernet', '10.1.0.0/16', '10.1.255.254', NULL),
  (2, 1, 'backbone', 'bb', 'ethernet', '176.18.118.0/24', NULL, 'bk'),
  (3, 1, 'bmc', 'bmc', 'ethernet', '10.2.0.0/16', NULL, 'bmc');
SELECT setval(pg_get_serial_sequence('network', 'id'), (SELECT max(id) FROM network));
INSERT INTO ftype (id, label) VALUES
  (1, 'compute'),
  (2, 'login'),
  (3, 'mngt');
SELECT setval(pg_get_serial_sequence('ftype', 'id'), (SELECT max(id) FROM ftype));
INSERT INTO hwmanager (id, name, type, model) VALUES
  (1, 'ns0-bmc', 'bmc', 'BMC'),
  (2, 'ns1-bmc', 'bmc', 'BMC'),
  (3, 'ns2-bmc', 'bmc', 'BMC'),
  (4, 'ns3-bmc', 'bmc', 'BMC'),
  (5, 'ns4-bmc', 'bmc', 'BMC'),
  (6, 'ns5-bmc', 'bmc', 'BMC'),
  (7, 'ns6-bmc', 'bmc', 'BMC'),
  (8, 'ns7-bmc', 'bmc', 'BMC'),
  (9, 'ns8-bmc', 'bmc', 'BMC'),
  (10, 'ns9-bmc', 'bmc', 'BMC'),
  (11, 'ns10-bmc', 'bmc', 'BMC'),
  (12, 'ns11-bmc', 'bmc', 'BMC'),
  (13, 'ns12-bmc', 'bmc', 'BMC'),
  (14, 'ns13-bmc', 'bmc', 'BMC');
SELECT setval(pg_get_serial_sequence('hwmanager', 'id'), (SELECT max(id) FROM hwmanager));
INSERT INTO hwmanager_port (id, hwmanager_id, network_id, ipaddr, hwaddr) VALUES
  (1, 1, 3, '10.2.0.1', NULL),
  (2, 2, 3, '10.2.0.2', NULL),
  (3, 3, 3, '10.2.0.3', NULL),
  (4, 4, 3, '10.2.0.4', NULL),
  (5, 5, 3, '10.2.0.5', NULL),
  (6, 6, 3, '10.2.0.6', NULL),
  (7, 7, 3, '10.2.0.7', NULL),
  (8, 8, 3, '10.2.0.8', NULL),
  (9, 9, 3, '10.2.0.9', NULL),
  (10, 10, 3, '10.2.0.10', NULL),
  (11, 11, 3, '10.2.0.11', NULL),
  (12, 12, 3, '10.2.0.12', NULL),
  (13, 13, 3, '10.2.0.13', NULL),
  (14, 14, 3, '10.2.0.14', NULL);
SELECT setval(pg_get_serial_sequence('hwmanager_port', 'id'), (SELECT max(id) FROM hwmanager_port));
INSERT INTO node (id, name, model, status, hwmanager_id) VALUES
  (1, 'ns0', 'R440', 'managed', 1),
  (2, 'ns1', 'R422', 'managed', 2),
  (3, 'ns2', 'R422', 'managed', 3),
  (4, 'ns3', 'R422', 'managed', 4),
  (5, 'ns4', 'R422', 'managed', 5),
  (6, 'ns5', 'R422', 'managed', 6),
  (7, 'ns6', 'R422', 'managed', 7),
  (8, 'ns7', 'R422', 'managed', 8),
  (9, 'ns8', 'R422', 'managed', 9),
  (10, 'ns9', 'R422', 'managed', 10),
  (11, 'ns10', 'R422', 'managed', 11),
  (12, 'ns11', 'R422', 'managed', 12),
  (13, 'ns12', 'R422', 'managed', 13),
  (14, 'ns13', 'R440', 'managed', 14);
SELECT setval(pg_get_serial_sequence('node', 'id'), (SELECT max(id) FROM node));
INSERT INTO node_ftype (node_id, ftype_id) VALUES
  (1, 3),
  (2, 1),
  (3, 1),
  (4, 1),
  (5, 1),
  (6, 1),
  (7, 1),
  (8, 1),
  (9, 1),
  (10, 1),
  (11, 1),
  (12, 1),
  (13, 2),
  (14, 3);
INSERT INTO node_port (id, node_id, network_id, interface_name, ipaddr, hwaddr) VALUES
  (1, 1, 1, 'eth0', '10.1.0.1', NULL),
  (2, 1, 2, 'eth1', '176.18.118.1', NULL),
  (3, 2, 1, 'eth0', '10.1.1.1', NULL),
  (4, 3, 1, 'eth0', '10.1.1.2', NULL),
  (5, 4, 1, 'eth0', '10.1.1.3', NULL),
  (6, 5, 1, 'eth0', '10.1.1.4', NULL),
  (7, 6, 1, 'eth0', '10.1.1.5', NULL),
  (8, 7, 1, 'eth0', '10.1.1.6', NULL),
  (9, 8, 1, 'eth0', '10.1.1.7', NULL),
  (10, 9, 1, 'eth0', '10.1.1.8', NULL),
  (11, 10, 1, 'eth0', '10.1.1.9', NULL),
  (12, 11, 1, 'eth0', '10.1.1.10', NULL),
  (13, 12, 1, 'eth0', '10.1.1.11', NULL),
  (14, 13, 1, 'eth0', '10.1.1.12', NULL),
  (15, 14, 1, 'eth0', '10.1.0.13', NULL),
  (16, 14, 2, 'eth1', '176.18.118.13', NULL);
SELECT setval(pg_get_serial_sequence('node_port', 'id'), (SELECT max(id) FROM node_port));
INSERT INTO disk_array (id, name, model) VALUES
  (1, 'ns-fda0', 'FDA1500');
SELECT setval(pg_get_serial_sequence('disk_array', 'id'), (SELECT max(id) FROM disk_array));
INSERT INTO da_iocell (id, name, type, quorum_device) VALUES
  (1, 'ns_mngt', 'mngt', NULL);
SELECT setval(pg_get_serial_sequence('da_iocell', 'id'), (SELECT max(id) FROM da_iocell));
INSERT INTO da_iocell_component (iocell_id, node_id, disk_array_id) VALUES
  (1, NULL, 1),
  (1, 1, NULL),
  (1, 14, NULL);
INSERT INTO metaservice_port (id, name, type, network_id, ipaddr, iocell_id) VALUES
  (1, 'ns', 'alias', 1, '10.1.0.65/16', 1),
  (2, 'ns-bk', 'alias', 2, '176.18.118.65/24', 1);
SELECT setval(pg_get_serial_sequence('metaservice_port', 'id'), (SELECT max(id) FROM metaservice_port));
COMMIT;
