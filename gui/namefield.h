#pragma once

#include <QWidget>

class QLabel;
class QLineEdit;

namespace Hamlet {

// A name entry checked as you type with the helper's own rules (instanceNameProblem), saying
// what is wrong beneath it, so a name the helper would refuse never reaches Finish.
class NameField : public QWidget
{
    Q_OBJECT
public:
    explicit NameField(const QString &suggestion, QWidget *parent = nullptr);

    QString name() const;
    void setName(const QString &name);
    bool isValid() const;
    QString problem() const;
    QLineEdit *lineEdit() const { return m_edit; }

Q_SIGNALS:
    void changed();

private:
    void check();

    QLineEdit *m_edit;
    QLabel *m_problem;
};

} // namespace Hamlet
