//! The principal population: organisation accounts with their resources, IAM users, roles,
//! federated, Identity Center, SAML and web-identity users, foreign accounts, and the ring of
//! live role sessions that assumed-role chains draw from and add to.
//!
//! Everything is drawn once from the seeded generator, so one seed is one organisation.

use rand::RngExt;

use super::ids;
use super::Rng8;

/// Organisation accounts; the first is the management account (Identity Center lives there).
const ACCOUNTS: usize = 8;
/// Accounts outside the organisation: partners, and where stolen snapshots are shared to.
const FOREIGN_ACCOUNTS: usize = 6;
/// IAM users per account (2,000 in all): people, CI users, legacy integrations.
const USERS_PER_ACCOUNT: usize = 250;
/// Live role sessions kept for reuse; old ones are overwritten as new ones are created.
pub const SESSION_RING: usize = 4096;

/// Regions and their weight: most activity in a home region or two, a tail elsewhere.
pub const REGIONS: &[(&str, u32)] = &[
    ("us-east-1", 40),
    ("us-west-2", 20),
    ("eu-west-1", 14),
    ("eu-central-1", 8),
    ("us-east-2", 7),
    ("ap-southeast-2", 4),
    ("ap-northeast-1", 4),
    ("ca-central-1", 2),
    ("sa-east-1", 1),
];

/// User agents of people and their tooling.
pub const HUMAN_AGENTS: &[&str] = &[
    "aws-cli/2.15.30 Python/3.11.8 Linux/5.10.213-201.855.amzn2.x86_64 exe/x86_64.amzn.2 prompt/off command/ec2.describe-instances",
    "aws-cli/2.13.25 Python/3.11.5 Darwin/23.1.0 exe/x86_64 prompt/off command/s3.ls",
    "aws-cli/2.17.2 md/awscrt#0.20.11 ua/2.0 os/macos#23.5.0 md/arch#arm64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#sts.get-caller-identity",
    "Boto3/1.34.64 md/Botocore#1.34.64 ua/2.0 os/linux#5.15.0-1057-aws md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.64",
    "APN/1.0 HashiCorp/1.0 Terraform/1.7.4 (+https://www.terraform.io) terraform-provider-aws/5.40.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.25.2 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64",
    "AWS Internal",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    "[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.655 Linux/5.10.209-175.858.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.402-b08 java/1.8.0_402 vendor/Oracle_Corporation cfg/retry-mode/standard]",
];

/// User agents of workloads (instances, functions, tasks, pods).
pub const WORKLOAD_AGENTS: &[&str] = &[
    "aws-sdk-go-v2/1.25.2 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/sts#1.28.4",
    "aws-sdk-java/2.25.11 Linux/5.10.210-201.852.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS Java/17.0.10 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy",
    "aws-sdk-js/3.535.0 ua/2.0 os/linux#5.10.209-198.858.amzn2.x86_64 lang/js md/nodejs#20.11.1 api/dynamodb#3.535.0",
    "Boto3/1.34.51 md/Botocore#1.34.51 ua/2.0 os/linux#5.10.210-220.855.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.2 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.51",
    "amazon-ssm-agent/3.3.131.0",
    "aws-sdk-go/1.50.30 (go1.21.8; linux; amd64) exec-env/AWS_ECS_EC2",
];

/// Services that act in accounts, as `invokedBy` / `sourceIPAddress` / `userAgent`.
pub const SERVICES: &[&str] = &[
    "ec2.amazonaws.com",
    "lambda.amazonaws.com",
    "ecs-tasks.amazonaws.com",
    "s3.amazonaws.com",
    "logs.amazonaws.com",
    "cloudformation.amazonaws.com",
    "config.amazonaws.com",
    "autoscaling.amazonaws.com",
    "elasticloadbalancing.amazonaws.com",
    "secretsmanager.amazonaws.com",
    "ssm.amazonaws.com",
    "rds.amazonaws.com",
    "securityhub.amazonaws.com",
    "access-analyzer.amazonaws.com",
    "backup.amazonaws.com",
    "events.amazonaws.com",
];

const FIRST: &[&str] = &[
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "niaj",
    "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yusuf", "zoe", "amir", "bea", "chen",
    "dmitri", "elena", "fatima", "goran", "hana", "ines",
];
const LAST: &[&str] = &[
    "smith", "jones", "garcia", "miller", "davis", "lopez", "wilson", "anderson", "thomas", "taylor",
    "moore", "martin", "lee", "perez", "white", "harris", "clark", "lewis", "walker", "young", "king",
    "wright", "scott", "green", "baker",
];
const WORDS: &[&str] = &[
    "orders",
    "billing",
    "payments",
    "analytics",
    "reports",
    "assets",
    "backups",
    "logs",
    "media",
    "exports",
    "ingest",
    "search",
    "catalog",
    "inventory",
    "profiles",
    "events",
    "audit",
    "ml",
    "etl",
    "web",
];

/// What a role is for, which decides who assumes it and what its sessions are called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleUse {
    Instance,
    Function,
    Task,
    Sso,
    Saml,
    WebIdentity,
    Human,
    Automation,
    CrossAccount,
}

pub struct Account {
    pub id: String,
    pub alias: String,
    pub home_region: u8,
    pub buckets: Vec<String>,
    pub instances: Vec<String>,
    pub functions: Vec<String>,
    pub keys: Vec<String>,
    pub tables: Vec<String>,
    pub secrets: Vec<String>,
    pub databases: Vec<String>,
    pub snapshots: Vec<String>,
    pub security_groups: Vec<String>,
    pub vpcs: Vec<String>,
    pub trail: String,
}

pub struct User {
    pub account: u16,
    pub name: String,
    pub id: String,
    pub key: String,
    pub ip: String,
    pub agent: u16,
    pub mfa: bool,
}

pub struct Role {
    pub account: u16,
    pub name: String,
    pub id: String,
    pub purpose: RoleUse,
}

pub struct IdentityCenterUser {
    pub user_id: String,
    pub name: String,
}

pub struct SamlUser {
    pub name: String,
    pub provider: String,
}

pub struct WebIdentityUser {
    pub provider: String,
    pub subject: String,
}

/// One role session: what an AssumeRole response created, used until it is overwritten.
#[derive(Debug, Clone)]
pub struct Session {
    pub role: u32,
    pub name: String,
    pub key: String,
    /// Seconds since the epoch the credentials were issued.
    pub created: i64,
    pub mfa: bool,
    pub source_identity: Option<String>,
    pub ip: String,
    pub agent: &'static str,
    /// Signed in through the console (SSO, SAML or switch-role).
    pub console: bool,
    /// An EC2 instance profile session (its records carry `ec2RoleDelivery`).
    pub instance: bool,
}

pub struct World {
    pub accounts: Vec<Account>,
    pub foreign: Vec<String>,
    pub users: Vec<User>,
    pub roles: Vec<Role>,
    /// Role indices by purpose, for drawing a role of a kind.
    pub by_use: Vec<(RoleUse, Vec<u32>)>,
    pub federated: Vec<(u16, String)>,
    pub identity_center: Vec<IdentityCenterUser>,
    pub identity_store: String,
    pub saml: Vec<SamlUser>,
    pub web: Vec<WebIdentityUser>,
    region_weights: Vec<u32>,
}

impl World {
    pub fn new(rng: &mut Rng8) -> World {
        let accounts: Vec<Account> = (0..ACCOUNTS).map(|i| account(rng, i)).collect();
        let foreign = (0..FOREIGN_ACCOUNTS).map(|_| ids::account(rng)).collect();
        let mut users = Vec::new();
        for a in 0..ACCOUNTS {
            for u in 0..USERS_PER_ACCOUNT {
                let name = match u % 10 {
                    0 => format!("svc-{}-{u}", pick(rng, WORDS)),
                    1 => format!("ci-{}-{u}", pick(rng, WORDS)),
                    _ => format!("{}.{}{}", pick(rng, FIRST), pick(rng, LAST), u),
                };
                users.push(User {
                    account: a as u16,
                    id: ids::principal(rng, "AIDA"),
                    key: ids::access_key(rng, "AKIA"),
                    ip: ids::public_ip(rng),
                    agent: rng.random_range(0..HUMAN_AGENTS.len()) as u16,
                    mfa: rng.random_bool(0.7),
                    name,
                });
            }
        }
        let mut roles = Vec::new();
        let plan: &[(RoleUse, usize)] = &[
            (RoleUse::Instance, 12),
            (RoleUse::Function, 10),
            (RoleUse::Task, 6),
            (RoleUse::Sso, 5),
            (RoleUse::Saml, 3),
            (RoleUse::WebIdentity, 5),
            (RoleUse::Human, 8),
            (RoleUse::Automation, 4),
            (RoleUse::CrossAccount, 3),
        ];
        for a in 0..ACCOUNTS {
            for &(purpose, count) in plan {
                for i in 0..count {
                    let name = role_name(rng, purpose, i);
                    roles.push(Role { account: a as u16, name, id: ids::principal(rng, "AROA"), purpose });
                }
            }
        }
        let by_use = plan
            .iter()
            .map(|&(purpose, _)| {
                let of_use = roles.iter().enumerate().filter(|(_, r)| r.purpose == purpose);
                (purpose, of_use.map(|(i, _)| i as u32).collect())
            })
            .collect();
        let federated = (0..150)
            .map(|i| (rng.random_range(0..ACCOUNTS) as u16, format!("{}-{i}", pick(rng, FIRST))))
            .collect();
        let identity_center = (0..400)
            .map(|i| IdentityCenterUser {
                user_id: format!("{}-{}", ids::hex(rng, 10), ids::uuid(rng)),
                name: format!("{}.{}{i}@example.com", pick(rng, FIRST), pick(rng, LAST)),
            })
            .collect();
        let identity_store =
            format!("arn:aws:identitystore::{}:identitystore/d-{}", accounts[0].id, ids::hex(rng, 10));
        let saml = (0..200)
            .map(|i| SamlUser {
                name: format!("{}.{}{i}@corp.example.com", pick(rng, FIRST), pick(rng, LAST)),
                provider: ids::base64(rng, 28),
            })
            .collect();
        let web = (0..300)
            .map(|i| {
                let cluster = ids::hex(rng, 32).to_ascii_uppercase();
                let region = REGIONS[i % 3].0;
                WebIdentityUser {
                    provider: format!("oidc.eks.{region}.amazonaws.com/id/{cluster}"),
                    subject: format!("system:serviceaccount:{}:{}-{i}", pick(rng, WORDS), pick(rng, WORDS)),
                }
            })
            .collect();
        World {
            accounts,
            foreign,
            users,
            roles,
            by_use,
            federated,
            identity_center,
            identity_store,
            saml,
            web,
            region_weights: REGIONS.iter().map(|r| r.1).collect(),
        }
    }

    /// A random role of the given purpose.
    pub fn role_of(&self, rng: &mut Rng8, purpose: RoleUse) -> u32 {
        let list = &self.by_use.iter().find(|(p, _)| *p == purpose).expect("every purpose has roles").1;
        list[rng.random_range(0..list.len())]
    }

    /// A random role of the given purpose in one account. Every account has the same roles
    /// laid out in the same order, so the slot within an account carries over.
    pub fn role_in(&self, rng: &mut Rng8, purpose: RoleUse, account: u16) -> u32 {
        let per_account = self.roles.len() / self.accounts.len();
        let role = self.role_of(rng, purpose) as usize;
        (account as usize * per_account + role % per_account) as u32
    }

    pub fn role_arn(&self, role: u32) -> String {
        let role = &self.roles[role as usize];
        format!("arn:aws:iam::{}:role/{}", self.accounts[role.account as usize].id, role.name)
    }

    /// A region, weighted towards the busy ones.
    pub fn region(&self, rng: &mut Rng8) -> u8 {
        let total: u32 = self.region_weights.iter().sum();
        let mut point = rng.random_range(0..total);
        for (i, w) in self.region_weights.iter().enumerate() {
            if point < *w {
                return i as u8;
            }
            point -= w;
        }
        0
    }

    /// A session for `role`, named the way its kind of caller names them.
    pub fn session(&self, rng: &mut Rng8, role: u32, now: i64) -> Session {
        let r = &self.roles[role as usize];
        let account = &self.accounts[r.account as usize];
        let human = |rng: &mut Rng8| format!("{}.{}", pick(rng, FIRST), pick(rng, LAST));
        let (name, console, agent) = match r.purpose {
            RoleUse::Instance => (pick(rng, &account.instances).clone(), false, *pick(rng, WORKLOAD_AGENTS)),
            RoleUse::Function => (pick(rng, &account.functions).clone(), false, WORKLOAD_AGENTS[3]),
            RoleUse::Task => (ids::hex(rng, 32), false, WORKLOAD_AGENTS[5]),
            RoleUse::Sso => (
                pick(rng, &self.identity_center).name.clone(),
                rng.random_bool(0.4),
                *pick(rng, HUMAN_AGENTS),
            ),
            RoleUse::Saml => (pick(rng, &self.saml).name.clone(), true, HUMAN_AGENTS[6]),
            RoleUse::WebIdentity => {
                (format!("botocore-session-{}", now - rng.random_range(0..3600)), false, WORKLOAD_AGENTS[3])
            }
            RoleUse::Human | RoleUse::CrossAccount => {
                (human(rng), rng.random_bool(0.2), *pick(rng, HUMAN_AGENTS))
            }
            RoleUse::Automation => {
                let name = if rng.random_bool(0.5) {
                    "GitHubActions".to_string()
                } else {
                    format!("terraform-{}", rng.random_range(1000..9999))
                };
                (name, false, HUMAN_AGENTS[4])
            }
        };
        let workload =
            matches!(r.purpose, RoleUse::Instance | RoleUse::Function | RoleUse::Task | RoleUse::WebIdentity);
        Session {
            role,
            name,
            key: ids::access_key(rng, "ASIA"),
            created: now - rng.random_range(0..3000),
            mfa: !workload && rng.random_bool(0.6),
            source_identity: None,
            ip: if matches!(r.purpose, RoleUse::Function) { ids::aws_ip(rng) } else { ids::public_ip(rng) },
            agent,
            console,
            instance: r.purpose == RoleUse::Instance,
        }
    }
}

pub fn pick<'a, T>(rng: &mut Rng8, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn account(rng: &mut Rng8, index: usize) -> Account {
    let alias = ["management", "prod", "staging", "dev", "data", "security", "shared", "sandbox"][index % 8];
    let id = ids::account(rng);
    let many = |rng: &mut Rng8, n: usize, f: &dyn Fn(&mut Rng8, usize) -> String| {
        (0..n).map(|i| f(rng, i)).collect()
    };
    Account {
        buckets: many(rng, 30, &|rng, i| format!("{alias}-{}-{}-{i}", pick(rng, WORDS), &id[8..])),
        instances: many(rng, 120, &|rng, _| format!("i-{}", ids::hex(rng, 17))),
        functions: many(rng, 25, &|rng, i| format!("{alias}-{}-{}", pick(rng, WORDS), i)),
        keys: many(rng, 12, &|rng, _| ids::uuid(rng)),
        tables: many(rng, 15, &|rng, i| format!("{}-{}-{i}", alias, pick(rng, WORDS))),
        secrets: many(rng, 15, &|rng, i| format!("{alias}/{}/credentials-{i}", pick(rng, WORDS))),
        databases: many(rng, 8, &|rng, i| format!("{alias}-{}-db-{i}", pick(rng, WORDS))),
        snapshots: many(rng, 20, &|rng, _| format!("snap-{}", ids::hex(rng, 17))),
        security_groups: many(rng, 20, &|rng, _| format!("sg-{}", ids::hex(rng, 17))),
        vpcs: many(rng, 4, &|rng, _| format!("vpc-{}", ids::hex(rng, 17))),
        trail: format!("arn:aws:cloudtrail:us-east-1:{id}:trail/org-trail"),
        home_region: [0u8, 0, 1, 2][index % 4],
        alias: alias.to_string(),
        id,
    }
}

fn role_name(rng: &mut Rng8, purpose: RoleUse, i: usize) -> String {
    let word = pick(rng, WORDS);
    match purpose {
        RoleUse::Instance => format!("{word}-instance-role-{i}"),
        RoleUse::Function => format!("{word}-lambda-exec-{i}"),
        RoleUse::Task => format!("{word}-ecs-task-role-{i}"),
        RoleUse::Sso => {
            let set =
                ["AdministratorAccess", "ReadOnlyAccess", "PowerUserAccess", "Billing", "SecurityAudit"]
                    [i % 5];
            format!("AWSReservedSSO_{set}_{}", ids::hex(rng, 16))
        }
        RoleUse::Saml => ["ADFS-Admins", "ADFS-Developers", "ADFS-ReadOnly"][i % 3].to_string(),
        RoleUse::WebIdentity => format!("eks-{word}-irsa-{i}"),
        RoleUse::Human => format!("{word}-engineer-{i}"),
        RoleUse::Automation => {
            ["TerraformDeploy", "ci-deploy", "GitHubActionsOIDC", "pipeline-release"][i % 4].to_string()
        }
        RoleUse::CrossAccount => {
            ["OrganizationAccountAccessRole", "security-audit", "break-glass"][i % 3].to_string()
        }
    }
}

/// The live sessions: a ring that AssumeRole responses add to, plus the few most recently
/// created ones, which act soon after they were created (the second half of a chain).
pub struct Sessions {
    pub ring: Vec<Session>,
    next: usize,
    pub recent: std::collections::VecDeque<u32>,
}

impl Sessions {
    /// Standing sessions (instance profiles, functions, SSO users already signed in, ...).
    pub fn new(rng: &mut Rng8, world: &World, now: i64) -> Sessions {
        let mix: &[(RoleUse, u32)] = &[
            (RoleUse::Instance, 30),
            (RoleUse::Function, 15),
            (RoleUse::Task, 10),
            (RoleUse::Sso, 15),
            (RoleUse::Saml, 5),
            (RoleUse::WebIdentity, 10),
            (RoleUse::Human, 8),
            (RoleUse::Automation, 5),
            (RoleUse::CrossAccount, 2),
        ];
        let total: u32 = mix.iter().map(|m| m.1).sum();
        let ring = (0..SESSION_RING)
            .map(|_| {
                let mut point = rng.random_range(0..total);
                let purpose = mix.iter().find(|m| {
                    let hit = point < m.1;
                    point = point.saturating_sub(m.1);
                    hit
                });
                let role = world.role_of(rng, purpose.map_or(RoleUse::Instance, |m| m.0));
                world.session(rng, role, now)
            })
            .collect();
        Sessions { ring, next: 0, recent: Default::default() }
    }

    /// Adds a session made by an AssumeRole response; people's sessions act again soon.
    pub fn push(&mut self, session: Session, follow_up: bool) -> u32 {
        let index = self.next;
        self.ring[index] = session;
        self.next = (self.next + 1) % self.ring.len();
        if follow_up {
            if self.recent.len() == 32 {
                self.recent.pop_front();
            }
            self.recent.push_back(index as u32);
        }
        index as u32
    }

    pub fn get(&self, index: u32) -> &Session {
        &self.ring[index as usize]
    }
}
